// Fuzz target: safetensors files (8-byte header length, JSON header of dtypes, shapes and
// offsets, data): every tensor a valid file names must lie inside the data and match its shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "segx/io/safetensors.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  segx::fuzz::run([&] {
    const auto file = SafetensorsFile::parse(std::string(segx::fuzz::as_text(data, size)),
                                             "fuzz.safetensors");
    for (const auto& name : file.names()) {
      const auto& info = file.info(name);
      const auto bytes = file.data(name);
      if (bytes.size() != std::size_t(info.numel()) * dtype_size(info.dtype)) std::abort();
      if (bytes.size() > size) std::abort();
      volatile char sink = 0;
      for (char c : bytes) sink = sink ^ c;  // every byte readable (AddressSanitizer)
    }
  });
  return 0;
}
