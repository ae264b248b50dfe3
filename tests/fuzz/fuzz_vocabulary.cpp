// Fuzz target: vocabulary files (JSON: classes with ids, names, synonyms, parents, sources).
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/vocab/vocabulary.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::run([&] {
    segx::vocab::parse_vocabulary(std::string(segx::fuzz::as_text(data, size)), "fuzz.json");
  });
  return 0;
}
