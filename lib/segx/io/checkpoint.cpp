// Checkpoint readers: the file's format told by content, the state dict found in the unpickled
// values, every array or tensor view copied out C-contiguous and little-endian.
#include "segx/io/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/io/pickle.hpp"
#include "segx/io/stream.hpp"
#include "segx/io/torch_zip.hpp"

namespace segx::io {
namespace {

namespace pk = pickle;

enum class Format { TorchZip, LegacyTorch, Pickle, Safetensors, Unknown };

// The pickled magic number that starts the legacy (pre-1.6, non-zip) torch.save format:
// PROTO 2, LONG1 of 10 bytes 0x1950a86a20f9469cfc6c.
constexpr char kLegacyTorchMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr std::size_t kHeadBytes = 16;

Format sniff(std::string_view head, std::uint64_t size) {
  if (head.substr(0, 4) == std::string_view("PK\x03\x04", 4) ||
      head.substr(0, 4) == std::string_view("PK\x05\x06", 4))
    return Format::TorchZip;
  if (head.substr(0, sizeof kLegacyTorchMagic - 1) == kLegacyTorchMagic) return Format::LegacyTorch;
  if (head.size() >= 9 && head[8] == '{') {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(head[i]);
    if (n <= size - 8) return Format::Safetensors;
  }
  // PROTO (protocol 2 and later), or how protocol 0/1 pickles of a dict start.
  if (!head.empty() && (static_cast<unsigned char>(head[0]) == 0x80 ||
                        std::string_view("}](c").find(head[0]) != std::string_view::npos))
    return Format::Pickle;
  return Format::Unknown;
}

std::string read_head(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    fail(ErrorKind::NoInput, "cannot read '{}': Is a directory", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, errno_text(errno));
  std::string head(kHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

[[noreturn]] void fail_legacy(const std::string& path) {
  fail(ErrorKind::DataError,
       "'{}': legacy torch.save format (torch < 1.6) is not read: re-save it with torch >= 1.6 "
       "(torch.save(torch.load(f), f))",
       path);
}

[[noreturn]] void fail_unknown(const std::string& path) {
  fail(ErrorKind::DataError,
       "'{}': not a checkpoint: neither a torch.save zip archive, a pickle nor a safetensors file",
       path);
}

std::int64_t numel_of(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

bool is_c_contiguous(const std::vector<std::int64_t>& shape,
                     const std::vector<std::int64_t>& strides) {
  std::int64_t expect = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expect) return false;
    expect *= shape[i];
  }
  return true;
}

// Copies the elements of a strided view (offset and strides in elements, all checked to lie
// inside `src`) into C order.
std::string gather(std::string_view src, std::size_t elem, const std::vector<std::int64_t>& shape,
                   const std::vector<std::int64_t>& strides, std::int64_t offset) {
  const auto numel = numel_of(shape);
  std::string out(static_cast<std::size_t>(numel) * elem, '\0');
  if (numel == 0) return out;
  const std::size_t ndim = shape.size();
  const char* base = src.data() + static_cast<std::size_t>(offset) * elem;
  if (is_c_contiguous(shape, strides)) {
    std::memcpy(out.data(), base, out.size());
    return out;
  }
  // Odometer over the outer dimensions; the last one is copied as one run when unit-strided.
  const bool run_last = ndim > 0 && strides[ndim - 1] == 1;
  const std::size_t outer = run_last ? ndim - 1 : ndim;
  const std::size_t run = (run_last ? static_cast<std::size_t>(shape[ndim - 1]) : 1) * elem;
  std::vector<std::int64_t> idx(outer, 0);
  std::int64_t pos = 0;
  for (char* dst = out.data(); dst < out.data() + out.size(); dst += run) {
    std::memcpy(dst, base + static_cast<std::size_t>(pos) * elem, run);
    for (std::size_t d = outer; d-- > 0;) {
      pos += strides[d];
      if (++idx[d] < shape[d]) break;
      pos -= shape[d] * strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

void to_little_endian(std::string& data, std::size_t elem) {
  for (std::size_t i = 0; i + elem <= data.size(); i += elem)
    std::reverse(data.begin() + static_cast<std::ptrdiff_t>(i),
                 data.begin() + static_cast<std::ptrdiff_t>(i + elem));
}

// A bool other than 0 or 1 would be undefined behaviour once read as C++ bool.
void normalize(CheckpointTensor& t) {
  if (t.dtype == DType::Bool)
    for (char& c : t.data) c = c ? 1 : 0;
}

// The C-order strides of a numpy array's memory order.
std::vector<std::int64_t> array_strides(const pk::Object& a) {
  std::vector<std::int64_t> strides(a.shape.size());
  std::int64_t s = 1;
  if (a.fortran) {
    for (std::size_t i = 0; i < a.shape.size(); ++i) strides[i] = s, s *= a.shape[i];
  } else {
    for (std::size_t i = a.shape.size(); i-- > 0;) strides[i] = s, s *= a.shape[i];
  }
  return strides;
}

// Output bound: views with zero strides, or one array under a million names, could otherwise
// ask for far more memory than the file holds.
class OutputBudget {
 public:
  OutputBudget(const std::string& path, std::uint64_t input) : path_(path) { grow(input); }
  void grow(std::uint64_t bytes) { budget_ += 4 * bytes; }
  void spend(const std::string& name, std::uint64_t bytes) {
    produced_ += bytes;
    if (produced_ > budget_ + (64u << 20))
      fail(ErrorKind::DataError,
           "'{}': tensor '{}': the tensors add up to over {} bytes, more than four times the "
           "file holds (views repeating the same storage?)",
           path_, pk::printable(name), produced_);
  }

 private:
  std::string path_;
  std::uint64_t budget_ = 0;
  std::uint64_t produced_ = 0;
};

CheckpointTensor from_array(const std::string& path, const std::string& name, const pk::Object& a,
                            OutputBudget& budget) {
  if (!a.built)
    fail(ErrorKind::DataError, "'{}': array '{}' has no data", path, pk::printable(name));
  CheckpointTensor t;
  t.dtype = a.dtype;
  t.shape = a.shape;
  const auto elem = dtype_size(a.dtype);
  budget.spend(name, static_cast<std::uint64_t>(numel_of(a.shape)) * elem);
  t.data = gather(a.data->text, elem, a.shape, array_strides(a), 0);
  if (a.big_endian) to_little_endian(t.data, elem);
  normalize(t);
  return t;
}

// Where the state dict is: {"model": ...} (detectron2), {"state_dict": ...}, {"blobs": ...}
// (Detectron), or the top-level dict itself.
const pk::Object& state_dict_of(const std::string& path, const pk::Object& root) {
  if (root.kind != pk::Kind::Dict)
    fail(ErrorKind::DataError, "'{}': holds a {}, not a dict of tensors", path,
         pk::kind_name(root.kind));
  for (const char* key : {"model", "state_dict", "blobs"})
    if (const auto* v = pk::dict_get(root, key); v && v->kind == pk::Kind::Dict) return *v;
  return root;
}

using TensorMaker =
    std::function<CheckpointTensor(const std::string& name, const pk::Object& value)>;

Checkpoint collect(const std::string& path, const pk::Object& root,
                   const TensorMaker& make_tensor) {
  const auto& state = state_dict_of(path, root);
  Checkpoint ckpt;
  std::vector<std::pair<std::string, const pk::Object*>> found;
  for (const auto& [key, value] : state.entries) {
    auto name = pk::text_of(*key);
    if (!name) continue;  // not a parameter name (an int key, say)
    if (value->kind == pk::Kind::Array || value->kind == pk::Kind::Tensor)
      found.emplace_back(std::move(*name), value);
    else if (auto text = pk::scalar_text(*value))
      ckpt.info.emplace(std::move(*name), std::move(*text));
  }
  if (&state != &root)
    for (const auto& [key, value] : root.entries) {
      auto name = pk::text_of(*key);
      auto text = pk::scalar_text(*value);
      if (name && text) ckpt.info.emplace(std::move(*name), std::move(*text));
    }
  if (found.empty()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : state.entries) {
      if (keys.size() == 8) {
        keys.push_back("...");
        break;
      }
      keys.push_back(fmt::format("{} ({})", pk::printable(pk::text_of(*key).value_or("?")),
                                 pk::kind_name(value->kind)));
    }
    fail(ErrorKind::DataError, "'{}': no arrays or tensors in the state dict{}{}", path,
         keys.empty() ? "" : ": ", fmt::join(keys, ", "));
  }
  for (auto& [name, value] : found) {
    ckpt.tensors.emplace(name, make_tensor(name, *value));
    ckpt.names.push_back(std::move(name));
  }
  return ckpt;
}

Checkpoint pkl_from_bytes(std::string bytes, const std::string& path) {
  const auto format = sniff(std::string_view(bytes).substr(0, kHeadBytes), bytes.size());
  if (format == Format::LegacyTorch) fail_legacy(path);
  if (format == Format::TorchZip)
    fail(ErrorKind::DataError, "'{}': a zip archive (torch.save?), not a model-zoo pickle", path);
  OutputBudget budget(path, bytes.size());
  const auto doc = pk::unpickle(std::move(bytes), path);
  return collect(path, doc.root(), [&](const std::string& name, const pk::Object& v) {
    if (v.kind != pk::Kind::Array)
      fail(ErrorKind::Internal, "'{}': tensor '{}' outside a torch archive", path, name);
    return from_array(path, name, v, budget);
  });
}

// "archive/" in "archive/data.pkl": torch.save names the folder after the file, or "archive".
std::string archive_prefix(const ZipReader& zip) {
  std::vector<std::string> prefixes;
  bool torchscript = false;
  for (const auto& n : zip.record_names()) {
    const auto slash = n.find('/');
    if (slash == std::string::npos) continue;
    const auto rest = n.substr(slash + 1);
    if (rest == "data.pkl") prefixes.push_back(n.substr(0, slash + 1));
    if (rest == "constants.pkl" || rest.rfind("code/", 0) == 0) torchscript = true;
  }
  if (prefixes.size() == 1 && !torchscript) return prefixes[0];
  if (torchscript)
    fail(ErrorKind::DataError,
         "'{}': a TorchScript archive (torch.jit.save) is not read: save the model's "
         "state_dict() with torch.save",
         zip.name());
  if (prefixes.empty())
    fail(ErrorKind::DataError,
         "'{}': a zip archive without <archive>/data.pkl: not a torch.save "
         "file",
         zip.name());
  fail(ErrorKind::DataError, "'{}': {} data.pkl records in the archive", zip.name(),
       prefixes.size());
}

Checkpoint torch_from_zip(const ZipReader& zip) {
  const auto& path = zip.name();
  const auto prefix = archive_prefix(zip);
  // torch >= 2.1 records the byte order of the storages; older files are little-endian.
  bool big_endian = false;
  if (zip.record_size(prefix + "byteorder")) {
    const auto order = zip.read(prefix + "byteorder", 16);
    if (order == "big")
      big_endian = true;
    else if (order != "little")
      fail(ErrorKind::DataError, "'{}': {}byteorder is '{}'", path, pk::printable(prefix),
           pk::printable(order));
  }
  pk::Options options;
  options.torch_storages = true;
  options.record = pk::printable(prefix + "data.pkl");
  const auto doc =
      pk::unpickle(zip.read(prefix + "data.pkl", zip.archive_size() * 1032 + 1024), path, options);

  // Storages are read once each; one viewed whole by a single tensor moves into it.
  OutputBudget budget(path, zip.archive_size());
  std::unordered_map<std::string, std::string> storages;
  std::unordered_map<const pk::Object*, int> uses;
  if (doc.root().kind == pk::Kind::Dict)
    for (const auto& [key, value] : state_dict_of(path, doc.root()).entries)
      if (value->kind == pk::Kind::Tensor) ++uses[value->data];
  auto storage_bytes = [&](const pk::Object& s) -> std::string& {
    const std::string key(s.text);
    auto it = storages.find(key);
    if (it != storages.end()) return it->second;
    const auto elem = dtype_size(s.dtype);
    const auto bytes = static_cast<std::uint64_t>(s.integer) * elem;
    const auto record = prefix + "data/" + key;
    const auto size = zip.record_size(record);
    if (!size)
      fail(ErrorKind::DataError, "'{}': storage '{}' has no record {}", path, pk::printable(key),
           pk::printable(record));
    if (*size != bytes)
      fail(ErrorKind::DataError,
           "'{}': storage '{}' of {} {} elements ({} bytes) is a record of {} bytes", path,
           pk::printable(key), s.integer, dtype_name(s.dtype), bytes, *size);
    auto data = zip.read(record, bytes);
    if (big_endian) to_little_endian(data, elem);
    budget.grow(data.size());
    return storages.emplace(key, std::move(data)).first->second;
  };
  auto make_tensor = [&](const std::string& name, const pk::Object& v) {
    if (v.kind == pk::Kind::Array) return from_array(path, name, v, budget);
    const auto& storage = *v.data;
    auto& bytes = storage_bytes(storage);
    CheckpointTensor t;
    t.dtype = v.dtype;
    t.shape = v.shape;
    const auto elem = dtype_size(v.dtype);
    const auto numel = static_cast<std::uint64_t>(numel_of(v.shape));
    budget.spend(name, numel * elem);
    const bool whole =
        v.offset == 0 && numel * elem == bytes.size() && is_c_contiguous(v.shape, v.strides);
    if (whole && --uses[&storage] == 0)
      t.data = std::move(bytes);
    else
      t.data = gather(bytes, elem, v.shape, v.strides, v.offset);
    normalize(t);
    return t;
  };
  return collect(path, doc.root(), make_tensor);
}

Checkpoint from_safetensors(const SafetensorsFile& file) {
  Checkpoint ckpt;
  ckpt.info = file.metadata();
  for (const auto& name : file.names()) {
    const auto& info = file.info(name);
    CheckpointTensor t;
    t.dtype = info.dtype;
    t.shape = info.shape;
    t.data = std::string(file.data(name));
    normalize(t);
    ckpt.tensors.emplace(name, std::move(t));
    ckpt.names.push_back(name);
  }
  return ckpt;
}

}  // namespace

std::int64_t CheckpointTensor::numel() const {
  return numel_of(shape);
}

Checkpoint read_detectron2_pkl(const std::string& path) {
  return pkl_from_bytes(read_all(path), path);
}

Checkpoint read_torch_checkpoint(const std::string& path) {
  if (is_std_stream(path)) {
    auto bytes = read_all(path);
    const auto format = sniff(std::string_view(bytes).substr(0, kHeadBytes), bytes.size());
    if (format == Format::LegacyTorch) fail_legacy(path);
    if (format != Format::TorchZip)
      fail(ErrorKind::DataError, "'{}': not a torch.save zip archive", path);
    return torch_from_zip(ZipReader::from_bytes(std::move(bytes), path));
  }
  const auto head = read_head(path);
  const auto format = sniff(head, head.size());
  if (format == Format::LegacyTorch) fail_legacy(path);
  if (format != Format::TorchZip)
    fail(ErrorKind::DataError, "'{}': not a torch.save zip archive", path);
  return torch_from_zip(ZipReader::open(path));
}

Checkpoint parse_checkpoint(std::string bytes, const std::string& name) {
  switch (sniff(std::string_view(bytes).substr(0, kHeadBytes), bytes.size())) {
    case Format::TorchZip:
      return torch_from_zip(ZipReader::from_bytes(std::move(bytes), name));
    case Format::LegacyTorch:
      fail_legacy(name);
    case Format::Safetensors:
      return from_safetensors(SafetensorsFile::parse(std::move(bytes), name));
    case Format::Pickle:
      return pkl_from_bytes(std::move(bytes), name);
    case Format::Unknown:
      break;
  }
  fail_unknown(name);
}

Checkpoint read_checkpoint(const std::string& path) {
  if (is_std_stream(path)) return parse_checkpoint(read_all(path), path);
  const auto head = read_head(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  switch (sniff(head, ec ? head.size() : size)) {
    case Format::TorchZip:
      return torch_from_zip(ZipReader::open(path));
    case Format::LegacyTorch:
      fail_legacy(path);
    case Format::Safetensors:
      return from_safetensors(SafetensorsFile::read(path));
    case Format::Pickle:
      return read_detectron2_pkl(path);
    case Format::Unknown:
      break;
  }
  fail_unknown(path);
}

}  // namespace segx::io
