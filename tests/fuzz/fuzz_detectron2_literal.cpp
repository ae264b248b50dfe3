// Fuzz target: Python literals as yacs reads a config value or a command-line override
// (ast.literal_eval's grammar), then coerced to the type of a default as yacs does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/io/detectron2_config.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  segx::fuzz::run([&] {
    const auto value = parse_detectron2_literal(std::string(segx::fuzz::as_text(data, size)));
    for (const auto& original :
         {Detectron2Value::of_int(1), Detectron2Value::of_float(0.5), Detectron2Value::of_str("x"),
          Detectron2Value::of_bool(true), Detectron2Value::none()}) {
      segx::fuzz::run([&] { coerce_detectron2_value(value, original, "KEY", "fuzz"); });
    }
  });
  return 0;
}
