// Fuzz target: CLIP's tokenizer on any text (class names and prompts come from vocabulary files
// and configs), with the merges of a small fixed BPE vocabulary so that every path of bpe() runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "segx/model/clip_tokenizer.hpp"
#include "support/fuzz_support.hpp"

namespace {

const segx::model::ClipTokenizer& tokenizer() {
  static const auto t = segx::model::ClipTokenizer::from_merges(
      "#version: 0.2\n"
      "t h\nth e</w>\na </w>\np h\nph o\npho t\nphot o</w>\nw i\nwi t\nwit h</w>\ni s</w>\n"
      "c a\nca t</w>\nd o\ndo g</w>\ns k\nsk y</w>\ne r</w>\nt o\ns t\nst u\nstu ff</w>\n",
      "fuzz-bpe.txt");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::setup();
  const std::string text(segx::fuzz::as_text(data, size));
  segx::fuzz::run([&] {
    const auto& t = tokenizer();
    for (int id : t.encode(text))
      if (id < 0 || id >= t.vocab_size()) std::abort();
    const auto tokens = t.tokenize(text, 77);
    if (tokens.size() != 77) std::abort();
  });
  return 0;
}
