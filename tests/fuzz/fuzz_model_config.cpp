// Fuzz target: segx model configs (model.json: architecture, backbone and its options, pixel
// decoder, transformer decoder, classes), parsed and written back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/model/config.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::run([&] {
    const auto config = segx::model::parse_model_config(
        std::string(segx::fuzz::as_text(data, size)), "fuzz-model.json");
    // What training writes back must read again.
    segx::model::parse_model_config(segx::model::model_config_to_json(config), "written.json");
  });
  return 0;
}
