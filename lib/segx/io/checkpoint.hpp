// Official checkpoints as named tensors, without Python and without running anything from the
// file: detectron2 model-zoo .pkl (pickled numpy arrays), torch.save files (.pth, Hugging Face
// pytorch_model.bin) and safetensors. Pickles go through io/pickle.hpp's restricted unpickler.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/io/safetensors.hpp"  // io::DType

namespace segx::io {

struct CheckpointTensor {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::string data;  // C-contiguous, little-endian; bools are 0 or 1
  std::int64_t numel() const;
};

struct Checkpoint {
  std::vector<std::string> names;  // tensor names in file order
  std::map<std::string, CheckpointTensor> tensors;
  // Scalar entries beside the weights ("__author__", "iteration", ...) as Python's str() shows
  // them; for safetensors, the header's __metadata__.
  std::map<std::string, std::string> info;
};

// A detectron2 model-zoo pickle: {"model": {name: ndarray}, ...} or a flat {name: ndarray}
// (also {"state_dict": ...} and Detectron's {"blobs": ...}). numpy arrays of f8 f4 f2 i8 i4 i2
// i1 u8 u4 u2 u1 b1 in either byte order and either memory order, 0-d included.
Checkpoint read_detectron2_pkl(const std::string& path);
// A torch.save zip archive (torch >= 1.6): a state dict, or {"model": state dict, ...} /
// {"state_dict": ...}. Tensors elsewhere in the pickle (an optimizer's state) are not returned;
// views into shared storages are copied out. The legacy (pre-1.6) format is refused.
Checkpoint read_torch_checkpoint(const std::string& path);
// By content: a zip is read as torch.save, a pickle as a .pkl, a safetensors file as such.
Checkpoint read_checkpoint(const std::string& path);
// The same for a file's bytes already in memory; `name` is used in error messages.
Checkpoint parse_checkpoint(std::string bytes, const std::string& name);

// Errors: Error(NoInput) when the file cannot be read; Error(DataError), one line naming the file,
// when it is malformed or holds anything outside numpy arrays, torch tensors and plain values
// (the global refused, the opcode and offset, the tensor out of bounds).

}  // namespace segx::io
