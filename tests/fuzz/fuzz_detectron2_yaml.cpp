// Fuzz target: detectron2 YAML configs (yaml-cpp, PyYAML's typing, Python tags) read as one
// file, then resolved against the defaults of each repository (yacs' merge and type checks).
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/io/detectron2_config.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  const std::string text(segx::fuzz::as_text(data, size));
  segx::fuzz::run([&] {
    const auto yaml = parse_detectron2_yaml(text, "fuzz.yaml");
    detectron2_leaves(yaml);
    choose_detectron2_repository(yaml, "");
  });
  segx::fuzz::run([&] { resolve_detectron2_yaml(text, "fuzz.yaml"); });
  return 0;
}
