// safetensors <-> LibTorch: dtype mapping and copies between file bytes and tensors.
#include "segx/io/safetensors_torch.hpp"

#include <ATen/ATen.h>

#include <cstring>

#include "segx/core/error.hpp"

namespace segx::io {
namespace {

std::optional<at::ScalarType> to_scalar_type(DType d) {
  switch (d) {
    case DType::F64:
      return at::kDouble;
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::I16:
      return at::kShort;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::Bool:
      return at::kBool;
    default:
      return std::nullopt;
  }
}

std::optional<DType> to_dtype(at::ScalarType t) {
  switch (t) {
    case at::kDouble:
      return DType::F64;
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kLong:
      return DType::I64;
    case at::kInt:
      return DType::I32;
    case at::kShort:
      return DType::I16;
    case at::kChar:
      return DType::I8;
    case at::kByte:
      return DType::U8;
    case at::kBool:
      return DType::Bool;
    default:
      return std::nullopt;
  }
}

// A CPU tensor owning a copy of `bytes` (little-endian, C-contiguous).
at::Tensor tensor_from_bytes(DType dtype, const std::vector<std::int64_t>& shape,
                             std::string_view bytes, const std::string& source,
                             const std::string& name) {
  auto type = to_scalar_type(dtype);
  if (!type)
    fail(ErrorKind::DataError, "'{}': tensor '{}': dtype {} is not supported by LibTorch", source,
         name, dtype_name(dtype));
  auto t = at::empty(shape, at::TensorOptions().dtype(*type));
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  if (dtype == DType::Bool) t = t.view(at::kByte).ne(0);  // any non-zero byte is true
  return t;
}

}  // namespace

at::Tensor to_tensor(const SafetensorsFile& file, const std::string& name) {
  const auto& info = file.info(name);
  return tensor_from_bytes(info.dtype, info.shape, file.data(name), file.path(), name);
}

TensorMap to_tensors(const Checkpoint& checkpoint, const std::string& source) {
  TensorMap out;
  for (const auto& [name, t] : checkpoint.tensors)
    out[name] = tensor_from_bytes(t.dtype, t.shape, t.data, source, name);
  return out;
}

TensorMap load_tensors(const std::string& path) {
  auto file = SafetensorsFile::read(path);
  TensorMap out;
  for (const auto& name : file.names()) out.emplace(name, to_tensor(file, name));
  return out;
}

void save_tensors(const std::string& path, const TensorMap& tensors,
                  const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> keep;
  std::vector<TensorView> views;
  keep.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    auto dtype = to_dtype(t.scalar_type());
    if (!dtype)
      fail(ErrorKind::Internal, "tensor '{}': dtype {} cannot be saved", name,
           c10::toString(t.scalar_type()));
    keep.push_back(t.detach().to(at::kCPU).contiguous());
    const auto& c = keep.back();
    views.push_back({name, *dtype, c.sizes().vec(),
                     std::string_view(static_cast<const char*>(c.data_ptr()), c.nbytes())});
  }
  write_safetensors_file(path, views, metadata);
}

}  // namespace segx::io
