// Stream helpers: "-" handling, atomic outputs, output directories.
#include "segx/io/stream.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"

namespace segx::io {
namespace fs = std::filesystem;

std::unique_ptr<std::istream> open_input(const std::string& path) {
  if (is_std_stream(path)) {
    // A stream over std::cin's buffer: reading through it consumes stdin.
    return std::make_unique<std::istream>(std::cin.rdbuf());
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(ErrorKind::NoInput, "cannot open '{}': Is a directory", path);
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, errno_text(errno));
  return in;
}

std::string read_all(const std::string& path) {
  auto in = open_input(path);
  std::error_code ec;
  if (!is_std_stream(path) && fs::is_regular_file(path, ec)) {
    // One read into a buffer of the file's size: no growing copies (large COCO JSON files).
    const auto size = fs::file_size(path, ec);
    if (!ec) check_json_bytes(size, "'" + path + "'");
    if (!ec) {
      std::string text(size, '\0');
      in->read(text.data(), std::streamsize(size));
      if (in->bad()) fail(ErrorKind::IoError, "cannot read '{}': {}", path, errno_text(errno));
      text.resize(size_t(in->gcount()));
      if (in->peek() == std::char_traits<char>::eof()) return text;
      std::ostringstream rest;  // the file grew while we read it
      rest << in->rdbuf();
      return text + rest.str();
    }
  }
  // A pipe or a file that grew: read in blocks, within the limit.
  std::string text;
  std::vector<char> block(1 << 16);
  while (*in) {
    in->read(block.data(), std::streamsize(block.size()));
    text.append(block.data(), std::size_t(in->gcount()));
    check_json_bytes(text.size(), path == "-" ? "<stdin>" : "'" + path + "'");
  }
  if (in->bad()) fail(ErrorKind::IoError, "cannot read '{}': {}", path, errno_text(errno));
  return text;
}

bool stdin_is_terminal() { return isatty(STDIN_FILENO) != 0; }
bool stdout_is_terminal() { return isatty(STDOUT_FILENO) != 0; }

namespace {
// ".NAME.tmp-PID-RANDOM" beside the target: the pid tells a later run whether its writer is gone.
fs::path temp_beside(const fs::path& target) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto name = fmt::format(".{}.tmp-{}-{:08x}", target.filename().string(), ::getpid(),
                          static_cast<unsigned>(rng() & 0xffffffffu));
  return target.parent_path() / name;
}

// Temporary files of `target` left by a process that died before it could remove them (kill -9,
// power loss): removed, so that a killed run leaves nothing behind once the next one writes.
void remove_stale_temps(const fs::path& target) {
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  std::error_code ec;
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}
}  // namespace

AtomicOutput::AtomicOutput(std::string path, bool binary) : path_(std::move(path)) {
  if (is_std_stream(path_)) {
    if (binary && stdout_is_terminal())
      fail(ErrorKind::Usage, "refusing to write binary data to a terminal; use -o FILE");
    return;
  }
  fs::path target(path_);
  std::error_code ec;
  if (fs::is_directory(target, ec))
    fail(ErrorKind::CannotCreate, "cannot create '{}': Is a directory", path_);
  remove_stale_temps(target);
  temp_ = temp_beside(target);
  file_ = std::make_unique<std::ofstream>(temp_, std::ios::binary | std::ios::trunc);
  if (!*file_) fail(ErrorKind::CannotCreate, "cannot create '{}': {}", path_, errno_text(errno));
}

AtomicOutput::~AtomicOutput() {
  if (!committed_ && file_) {
    file_.reset();
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

std::ostream& AtomicOutput::stream() { return file_ ? *file_ : std::cout; }

void AtomicOutput::commit() {
  if (committed_) return;
  if (!file_) {
    std::cout.flush();
    if (!std::cout) fail(ErrorKind::IoError, "cannot write to standard output");
    committed_ = true;
    return;
  }
  file_->flush();
  bool ok = static_cast<bool>(*file_);
  file_->close();
  if (!ok || file_->fail()) {
    fail(ErrorKind::IoError, "cannot write '{}': {}", path_, errno_text(errno ? errno : EIO));
  }
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec) fail(ErrorKind::CannotCreate, "cannot create '{}': {}", path_, ec.message());
  committed_ = true;
  file_.reset();
}

void write_file_atomic(const std::string& path, std::string_view bytes, bool binary) {
  AtomicOutput out(path, binary);
  out.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.commit();
}

bool check_output_dir(const fs::path& dir, bool overwrite) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return false;
  if (!fs::is_directory(dir, ec))
    fail(ErrorKind::CannotCreate, "cannot create directory '{}': File exists", dir.string());
  if (!overwrite && !fs::is_empty(dir, ec))
    fail(ErrorKind::CannotCreate,
         "output directory '{}' is not empty; pass --overwrite to write into it", dir.string());
  return true;
}

void prepare_output_dir(const fs::path& dir, bool overwrite) {
  if (check_output_dir(dir, overwrite)) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorKind::CannotCreate, "cannot create directory '{}': {}", dir.string(), ec.message());
}

void flush_stdout() {
  std::cout.flush();
  if (!std::cout) fail(ErrorKind::IoError, "cannot write to standard output");
}

}  // namespace segx::io
