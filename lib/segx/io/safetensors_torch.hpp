// safetensors <-> LibTorch tensors. Include only from modules that already use LibTorch
// (model, infer, train and their tests): it pulls in ATen headers.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "segx/io/checkpoint.hpp"
#include "segx/io/safetensors.hpp"

namespace segx::io {

using TensorMap = std::map<std::string, at::Tensor>;

// One tensor of a loaded file as a CPU tensor owning a copy of the data.
// Error(DataError) naming the file and tensor for dtypes LibTorch lacks (U16/U32/U64).
at::Tensor to_tensor(const SafetensorsFile& file, const std::string& name);
// Every tensor of `path` (Error(NoInput)/Error(DataError) naming the file).
TensorMap load_tensors(const std::string& path);
// Every tensor of a checkpoint read by io/checkpoint.hpp (model-zoo .pkl, torch.save zip,
// safetensors: io::read_checkpoint), as CPU tensors under their names; `source` names the
// file in errors.
TensorMap to_tensors(const Checkpoint& checkpoint, const std::string& source);
// Writes tensors (any device, any layout; copied to contiguous CPU) atomically, in name order.
void save_tensors(const std::string& path, const TensorMap& tensors,
                  const std::map<std::string, std::string>& metadata = {});

}  // namespace segx::io
