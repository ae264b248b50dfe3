// ZipReader over libzip: the archive opened read-only with its consistency checks, records read
// whole with their sizes checked before anything is allocated and their CRC checked at the end.
#include "segx/io/torch_zip.hpp"

#include <zip.h>

#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/io/pickle.hpp"  // printable
#include "segx/io/stream.hpp"

namespace segx::io {

struct ZipReader::Archive {
  std::string bytes;  // the archive when read into memory (stdin)
  zip_t* zip = nullptr;
  ~Archive() {
    if (zip) zip_discard(zip);  // read-only: nothing to write back
  }
};

namespace {

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// deflate's best ratio is about 1032:1; a record that claims more is lying about its size.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

}  // namespace

ZipReader::ZipReader(ZipReader&&) noexcept = default;
ZipReader& ZipReader::operator=(ZipReader&&) noexcept = default;
ZipReader::~ZipReader() = default;

ZipReader ZipReader::open(const std::string& path) {
  if (is_std_stream(path)) return from_bytes(read_all(path), path);
  ZipReader reader;
  reader.name_ = path;
  reader.archive_ = std::make_unique<Archive>();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail(ErrorKind::NoInput, "cannot open '{}': {}", path,
         std::filesystem::exists(path, ec) ? "not a regular file" : "No such file or directory");
  reader.archive_size_ = std::filesystem::file_size(path, ec);
  int code = 0;
  reader.archive_->zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!reader.archive_->zip) {
    const bool unreadable = code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ;
    fail(unreadable ? ErrorKind::NoInput : ErrorKind::DataError, "cannot open '{}': {}", path,
         zip_error_text(code));
  }
  return reader;
}

ZipReader ZipReader::from_bytes(std::string bytes, const std::string& name) {
  ZipReader reader;
  reader.name_ = name;
  reader.archive_ = std::make_unique<Archive>();
  reader.archive_->bytes = std::move(bytes);
  reader.archive_size_ = reader.archive_->bytes.size();
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(reader.archive_->bytes.data(),
                                                  reader.archive_->bytes.size(), 0, &error);
  if (source)
    reader.archive_->zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!reader.archive_->zip) {
    if (source) zip_source_free(source);
    std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    fail(ErrorKind::DataError, "cannot open '{}': {}", name, text);
  }
  zip_error_fini(&error);
  return reader;
}

std::vector<std::string> ZipReader::record_names() const {
  std::vector<std::string> names;
  const auto n = zip_get_num_entries(archive_->zip, 0);
  for (zip_int64_t i = 0; i < n; ++i)
    if (const char* s = zip_get_name(archive_->zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW))
      names.emplace_back(s);
  return names;
}

std::optional<std::uint64_t> ZipReader::record_size(const std::string& record) const {
  const auto index = zip_name_locate(archive_->zip, record.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) return std::nullopt;
  zip_stat_t st;
  if (zip_stat_index(archive_->zip, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE))
    return std::nullopt;
  return st.size;
}

std::string ZipReader::read(const std::string& record, std::uint64_t max_bytes) const {
  const auto index = zip_name_locate(archive_->zip, record.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0)
    fail(ErrorKind::DataError, "'{}': no record '{}' in the archive", name_,
         pickle::printable(record));
  zip_stat_t st;
  const zip_uint64_t needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if (zip_stat_index(archive_->zip, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      (st.valid & needed) != needed)
    fail(ErrorKind::DataError, "'{}': record '{}': no size in the zip directory", name_,
         pickle::printable(record));
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
    fail(ErrorKind::DataError, "'{}': record '{}' is encrypted", name_, pickle::printable(record));
  if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
    fail(ErrorKind::DataError, "'{}': record '{}' uses zip compression method {}", name_,
         pickle::printable(record), st.comp_method);
  if (st.size > max_bytes)
    fail(ErrorKind::DataError, "'{}': record '{}' of {} bytes, expected at most {}", name_,
         pickle::printable(record), st.size, max_bytes);
  const bool stored = st.comp_method == ZIP_CM_STORE;
  if ((stored && st.size != st.comp_size) ||
      (!stored && st.size / kMaxDeflateRatio > st.comp_size + 1) || st.comp_size > archive_size_)
    fail(ErrorKind::DataError, "'{}': record '{}' claims {} bytes from {} compressed bytes", name_,
         record, st.size, st.comp_size);
  zip_file_t* file = zip_fopen_index(archive_->zip, static_cast<zip_uint64_t>(index), 0);
  if (!file)
    fail(ErrorKind::DataError, "'{}': record '{}': {}", name_, pickle::printable(record),
         zip_error_strerror(zip_get_error(archive_->zip)));
  std::string data(st.size, '\0');
  std::uint64_t done = 0;
  std::string problem;
  while (problem.empty()) {
    // One read past the end lets libzip compare the CRC of the whole record.
    char probe = 0;
    const bool at_end = done == data.size();
    const auto n = at_end ? zip_fread(file, &probe, 1)
                          : zip_fread(file, data.data() + done, data.size() - done);
    if (n < 0)
      problem = zip_error_strerror(zip_file_get_error(file));
    else if (at_end && n != 0)
      problem = "longer than its declared size";
    else if (!at_end && n == 0)
      problem = fmt::format("{} bytes where {} were declared", done, data.size());
    else if (at_end)
      break;
    done += static_cast<std::uint64_t>(std::max<zip_int64_t>(n, 0));
  }
  zip_fclose(file);
  if (!problem.empty())
    fail(ErrorKind::DataError, "'{}': record '{}': {}", name_, pickle::printable(record), problem);
  return data;
}

}  // namespace segx::io
