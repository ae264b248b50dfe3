// safetensors files (8-byte little-endian header length, JSON header, raw little-endian data),
// read and written without LibTorch so any module can use them; see safetensors_torch.hpp.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segx::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, U16, U32, U64, Bool };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "F32", "BF16", ... as in the format
std::optional<DType> parse_dtype(std::string_view name);

struct TensorInfo {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0;  // byte offsets into the data section
  std::size_t end = 0;
  std::int64_t numel() const;
};

// A whole safetensors file held in memory, validated on load: every tensor's byte range lies
// inside the data section and matches its dtype and shape.
class SafetensorsFile {
 public:
  // Reads and validates `path`; Error(NoInput) when unreadable, Error(DataError) naming the
  // file (and tensor) when malformed.
  static SafetensorsFile read(const std::string& path);
  // Parses bytes already in memory; `name` is used in error messages.
  static SafetensorsFile parse(std::string bytes, const std::string& name);

  const std::string& path() const { return path_; }
  // Tensor names in the order of their data offsets.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // Error(DataError) naming the file when the tensor is absent.
  const TensorInfo& info(const std::string& name) const;
  std::string_view data(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string path_;
  std::string bytes_;
  std::size_t data_start_ = 0;
  std::vector<std::string> names_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::string_view data;  // little-endian bytes, numel * dtype_size
};

// Writes tensors in the given order (8-byte aligned header, padded with spaces).
void write_safetensors(std::ostream& out, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata = {});
// The same, atomically to a file ("-" = stdout).
void write_safetensors_file(const std::string& path, const std::vector<TensorView>& tensors,
                            const std::map<std::string, std::string>& metadata = {});

}  // namespace segx::io
