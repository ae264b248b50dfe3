// Fuzz target: segx training configs (train.json: datasets, validation, inline or named model,
// solver, input, loss, text encoder), with KEY=VALUE overrides taken from the input's last line.
// Paths resolve against a folder that does not exist, so a named file is NoInput.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>

#include "segx/train/config_overrides.hpp"
#include "segx/train/train_config.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(segx::fuzz::as_text(data, size));
  segx::fuzz::run([&] {
    segx::train::parse_train_config(text, "fuzz-train.json", "/nonexistent-fuzz-dir");
  });
  // "JSON\n--\nKEY=VALUE\nKEY=VALUE": overrides applied to the document first.
  const auto split = text.find("\n--\n");
  if (split == std::string::npos) return 0;
  segx::fuzz::run([&] {
    auto j = nlohmann::json::parse(text.substr(0, split), nullptr, false);
    if (j.is_discarded()) return;
    std::vector<std::string> overrides;
    std::size_t begin = split + 4;
    while (begin <= text.size()) {
      const auto end = std::min(text.find('\n', begin), text.size());
      overrides.push_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
    segx::train::apply_config_overrides(j, overrides, "/nonexistent-fuzz-dir");
    // The harness's own dump: an override may leave bytes that are not UTF-8 (the parser is
    // given text, as from a file, so they become U+FFFD here rather than an exception).
    const auto text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    segx::train::parse_train_config(text, "fuzz-train.json", "/nonexistent-fuzz-dir");
  });
  return 0;
}
