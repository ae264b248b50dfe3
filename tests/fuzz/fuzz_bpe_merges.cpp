// Fuzz target: the CLIP BPE merges file (the decompressed bpe_simple_vocab_16e6.txt: a header
// line, then "first second" pairs), then a fixed text through the tokenizer it makes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "segx/model/clip_tokenizer.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::run([&] {
    const auto t = segx::model::ClipTokenizer::from_merges(
        std::string(segx::fuzz::as_text(data, size)), "fuzz-bpe.txt");
    for (const char* text : {"a photo with a cat", "the task is panoptic", "Straße, 東京 1.5!"})
      for (int id : t.encode(text))
        if (id < 0 || id >= t.vocab_size()) std::abort();
  });
  return 0;
}
