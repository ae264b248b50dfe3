// safetensors reader/writer: header parsing with nlohmann_json, strict bounds checking.
#include "segx/io/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::io {
namespace {

struct DTypeEntry {
  DType dtype;
  const char* name;
  std::size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "F64", 8},  {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},  {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::U16, "U16", 2},  {DType::U32, "U32", 4}, {DType::U64, "U64", 8},
    {DType::Bool, "BOOL", 1},
};

// Guards against absurd headers (the format's reference implementation caps it at 100 MB).
constexpr std::uint64_t kMaxHeader = 100u << 20;

std::uint64_t read_le64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

TensorInfo parse_entry(const std::string& file, const std::string& name, const nlohmann::json& e,
                       std::size_t data_size) {
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
      !e.contains("data_offsets"))
    fail(ErrorKind::DataError, "'{}': tensor '{}': header entry needs dtype, shape, data_offsets",
         file, name);
  const auto& dt = e["dtype"];
  auto dtype = dt.is_string() ? parse_dtype(dt.get<std::string>()) : std::nullopt;
  if (!dtype)
    fail(ErrorKind::DataError, "'{}': tensor '{}': unknown dtype {}", file, name, dt.dump());
  TensorInfo info;
  info.dtype = *dtype;
  if (!e["shape"].is_array())
    fail(ErrorKind::DataError, "'{}': tensor '{}': shape is not a list", file, name);
  // The shape's byte count is computed without overflow before anything trusts numel(): a shape
  // whose product overflows int64 (found by tests/fuzz/fuzz_safetensors) was undefined behaviour,
  // and could wrap to a count that matches the offsets.
  std::uint64_t bytes = dtype_size(info.dtype);
  bool empty = false, overflow = false;
  for (const auto& d : e["shape"]) {
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
      fail(ErrorKind::DataError, "'{}': tensor '{}': bad dimension {}", file, name, d.dump());
    const auto dim = d.get<std::uint64_t>();
    info.shape.push_back(static_cast<std::int64_t>(dim));
    empty = empty || dim == 0;
    overflow = overflow || __builtin_mul_overflow(bytes, dim, &bytes) || bytes > INT64_MAX;
  }
  if (overflow && !empty)
    fail(ErrorKind::DataError, "'{}': tensor '{}': shape {} has more elements than a file holds",
         file, name, e["shape"].dump());
  const auto& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned())
    fail(ErrorKind::DataError, "'{}': tensor '{}': data_offsets must be [begin, end]", file, name);
  info.begin = off[0].get<std::size_t>();
  info.end = off[1].get<std::size_t>();
  if (info.begin > info.end || info.end > data_size)
    fail(ErrorKind::DataError, "'{}': tensor '{}': data_offsets [{}, {}] outside the {} data bytes",
         file, name, info.begin, info.end, data_size);
  const auto expect = static_cast<std::uint64_t>(info.numel()) * dtype_size(info.dtype);
  if (expect != info.end - info.begin)
    fail(ErrorKind::DataError, "'{}': tensor '{}': {} bytes for a {} tensor of {} elements", file,
         name, info.end - info.begin, dtype_name(info.dtype), info.numel());
  return info;
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e.size;
  return 0;
}

const char* dtype_name(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e.name;
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& e : kDTypes)
    if (name == e.name) return e.dtype;
  return std::nullopt;
}

std::int64_t TensorInfo::numel() const {
  // A zero dimension first: with one, the others' product is not checked on load and may not fit.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  return parse(read_all(path), path);
}

SafetensorsFile SafetensorsFile::parse(std::string bytes, const std::string& name) {
  SafetensorsFile f;
  f.path_ = name;
  if (bytes.size() < 8)
    fail(ErrorKind::DataError, "'{}': not a safetensors file: {} bytes, no header", name,
         bytes.size());
  const std::uint64_t header_len = read_le64(bytes.data());
  if (header_len > kMaxHeader || header_len > bytes.size() - 8)
    fail(ErrorKind::DataError, "'{}': not a safetensors file: header length {} for {} bytes",
         name, header_len, bytes.size());
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "'{}': safetensors header is not JSON: {}", name, e.what());
  }
  if (!header.is_object())
    fail(ErrorKind::DataError, "'{}': safetensors header is not a JSON object", name);
  f.data_start_ = 8 + header_len;
  const std::size_t data_size = bytes.size() - f.data_start_;
  std::vector<std::pair<std::size_t, std::string>> order;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object())
        fail(ErrorKind::DataError, "'{}': __metadata__ is not an object", name);
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          fail(ErrorKind::DataError, "'{}': __metadata__ value '{}' is not a string", name,
               m.key());
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto info = parse_entry(name, it.key(), it.value(), data_size);
    order.emplace_back(info.begin, it.key());
    f.tensors_.emplace(it.key(), std::move(info));
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [off, n] : order) f.names_.push_back(std::move(n));
  f.bytes_ = std::move(bytes);
  return f;
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(ErrorKind::DataError, "'{}': no tensor '{}'", path_, name);
  return it->second;
}

std::string_view SafetensorsFile::data(const std::string& name) const {
  const auto& i = info(name);
  return std::string_view(bytes_).substr(data_start_ + i.begin, i.end - i.begin);
}

void write_safetensors(std::ostream& out, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    std::int64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    if (static_cast<std::size_t>(numel) * dtype_size(t.dtype) != t.data.size())
      fail(ErrorKind::Internal, "tensor '{}': {} bytes for {} elements of {}", t.name,
           t.data.size(), numel, dtype_name(t.dtype));
    if (header.contains(t.name)) fail(ErrorKind::Internal, "tensor '{}' written twice", t.name);
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  char len[8];
  std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : tensors) out.write(t.data.data(), static_cast<std::streamsize>(t.data.size()));
}

void write_safetensors_file(const std::string& path, const std::vector<TensorView>& tensors,
                            const std::map<std::string, std::string>& metadata) {
  AtomicOutput out(path, /*binary=*/true);
  write_safetensors(out.stream(), tensors, metadata);
  out.commit();
}

}  // namespace segx::io
