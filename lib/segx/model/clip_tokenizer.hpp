// CLIP's byte-pair-encoding tokenizer (OpenAI simple_tokenizer.py, as OneFormer uses it for task
// strings and class names), reading bpe_simple_vocab_16e6.txt.gz. No LibTorch here.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace segx::model {

class ClipTokenizer {
 public:
  // Reads the gzip-compressed merges list; Error(NoInput) when unreadable, Error(Config) when it
  // is not a CLIP vocabulary of the expected size (49408 tokens).
  static ClipTokenizer load(const std::string& path);
  // From the decompressed merges text (first line is a header, as in the released file).
  static ClipTokenizer from_merges(const std::string& text, const std::string& source);

  // Token ids of `text` without start/end tokens.
  std::vector<int> encode(const std::string& text) const;
  // OneFormer's Tokenize: start token, tokens, end token, zero padded to `context_length`
  // (truncated with the end token last when longer).
  std::vector<std::int64_t> tokenize(const std::string& text, int context_length = 77) const;

  int vocab_size() const { return static_cast<int>(encoder_.size()); }
  int start_token() const { return sot_; }
  int end_token() const { return eot_; }

 private:
  std::vector<std::string> bpe(const std::string& token) const;
  std::unordered_map<std::string, int> encoder_;
  std::unordered_map<std::string, int> ranks_;  // "first second" -> merge rank
  std::vector<std::string> byte_encoder_;       // byte -> UTF-8 of its stand-in code point
  int sot_ = 0, eot_ = 0;
};

}  // namespace segx::model
