// Fuzz target: checkpoints by content, as segx model import reads them: torch.save zip archives
// (the zip reader, data.pkl through the restricted unpickler, storages and views), detectron2
// .pkl pickles of numpy arrays and safetensors files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "segx/io/checkpoint.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  segx::fuzz::run([&] {
    const auto checkpoint = parse_checkpoint(std::string(segx::fuzz::as_text(data, size)),
                                             "fuzz.pth");
    for (const auto& [name, tensor] : checkpoint.tensors)
      if (tensor.data.size() != std::size_t(tensor.numel()) * dtype_size(tensor.dtype))
        std::abort();
  });
  return 0;
}
