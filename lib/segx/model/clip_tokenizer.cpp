// CLIP BPE tokenizer: bytes_to_unicode, the merge loop and the pre-tokenising pattern of
// simple_tokenizer.py. Text cleaning covers whitespace, HTML entities and ASCII case; ftfy's
// mojibake repair and full Unicode letter classes are approximated (non-ASCII code points count
// as letters unless they are whitespace or punctuation blocks), which is exact for ASCII text.
#include "segx/model/clip_tokenizer.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::model {
namespace {

constexpr int kMerges = 49152 - 256 - 2;  // merges[1:49152-256-2+1] upstream

std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Decodes UTF-8 into code points (invalid bytes map to U+FFFD).
std::vector<std::uint32_t> code_points(const std::string& s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    std::uint32_t cp = c;
    if (c >= 0x80) {
      if ((c >> 5) == 6) {
        n = 1, cp = c & 0x1F;
      } else if ((c >> 4) == 14) {
        n = 2, cp = c & 0x0F;
      } else if ((c >> 3) == 30) {
        n = 3, cp = c & 0x07;
      } else {
        n = -1;
      }
    }
    bool ok = n >= 0 && i + n < s.size();
    for (int k = 1; ok && k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      ok = (d >> 6) == 2;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

bool is_space(std::uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
bool is_number(std::uint32_t c) { return c >= '0' && c <= '9'; }
bool is_letter(std::uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (is_space(c)) return false;
  if ((c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7)
    return false;
  if ((c >= 0x2010 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F))
    return false;
  return true;
}

std::string html_unescape(const std::string& s) {
  static const std::pair<const char*, const char*> named[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"},
      {"&nbsp;", "\xC2\xA0"}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool done = false;
    if (s[i] == '&') {
      for (const auto& [k, v] : named) {
        const std::string key(k);
        if (s.compare(i, key.size(), key) == 0) {
          out += v;
          i += key.size();
          done = true;
          break;
        }
      }
      if (!done && i + 2 < s.size() && s[i + 1] == '#') {
        auto semi = s.find(';', i);
        if (semi != std::string::npos && semi - i <= 10) {
          const bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
          try {
            auto cp = std::stoul(s.substr(i + (hex ? 3 : 2), semi - i - (hex ? 3 : 2)), nullptr,
                                 hex ? 16 : 10);
            out += utf8(static_cast<std::uint32_t>(cp));
            i = semi + 1;
            done = true;
          } catch (...) {
          }
        }
      }
    }
    if (!done) out += s[i++];
  }
  return out;
}

// basic_clean + whitespace_clean + lower().
std::vector<std::uint32_t> clean(const std::string& text) {
  auto cps = code_points(html_unescape(html_unescape(text)));
  std::vector<std::uint32_t> out;
  bool pending_space = false;
  for (auto c : cps) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return out;
}

std::string gunzip(const std::string& gz, const std::string& path) {
  if (gz.size() < 18 || static_cast<unsigned char>(gz[0]) != 0x1f ||
      static_cast<unsigned char>(gz[1]) != 0x8b)
    fail(ErrorKind::Config, "'{}': not a gzip file", path);
  std::size_t size = 0;
  for (int i = 0; i < 4; ++i)
    size |= static_cast<std::size_t>(static_cast<unsigned char>(gz[gz.size() - 4 + i])) << (8 * i);
  std::string out(size, '\0');
  auto* d = libdeflate_alloc_decompressor();
  std::size_t got = 0;
  auto r = libdeflate_gzip_decompress(d, gz.data(), gz.size(), out.data(), out.size(), &got);
  libdeflate_free_decompressor(d);
  if (r != LIBDEFLATE_SUCCESS) fail(ErrorKind::Config, "'{}': corrupt gzip data", path);
  out.resize(got);
  return out;
}

}  // namespace

ClipTokenizer ClipTokenizer::load(const std::string& path) {
  return from_merges(gunzip(io::read_all(path), path), path);
}

ClipTokenizer ClipTokenizer::from_merges(const std::string& text, const std::string& source) {
  ClipTokenizer t;
  // bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to 256+n.
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<std::uint32_t> cs(bs.begin(), bs.end());
  int n = 0;
  for (int b = 0; b < 256; ++b)
    if (std::find(bs.begin(), bs.begin() + 188, b) == bs.begin() + 188) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  t.byte_encoder_.assign(256, "");
  std::vector<std::string> vocab;
  for (std::size_t i = 0; i < bs.size(); ++i) {
    t.byte_encoder_[bs[i]] = utf8(cs[i]);
    vocab.push_back(utf8(cs[i]));
  }
  for (std::size_t i = 0; i < 256; ++i) vocab.push_back(vocab[i] + "</w>");
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // "#version: ..." header
  int count = 0;
  while (count < kMerges && std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto sp = line.find(' ');
    if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
      fail(ErrorKind::Config, "'{}': line {} is not a BPE merge \"a b\"", source, count + 2);
    t.ranks_.emplace(line, count);
    vocab.push_back(line.substr(0, sp) + line.substr(sp + 1));
    ++count;
  }
  if (count != kMerges)
    fail(ErrorKind::Config,
         "'{}': vocabulary has {} merges, a CLIP vocabulary needs {} (49408 tokens)", source,
         count, kMerges);
  vocab.push_back("<|startoftext|>");
  vocab.push_back("<|endoftext|>");
  for (std::size_t i = 0; i < vocab.size(); ++i) t.encoder_.emplace(vocab[i], static_cast<int>(i));
  t.sot_ = t.encoder_.at("<|startoftext|>");
  t.eot_ = t.encoder_.at("<|endoftext|>");
  return t;
}

std::vector<std::string> ClipTokenizer::bpe(const std::string& token) const {
  // token is a sequence of UTF-8 stand-in characters; the last one gets "</w>".
  auto cps = code_points(token);
  std::vector<std::string> word;
  for (auto c : cps) word.push_back(utf8(c));
  word.back() += "</w>";
  while (word.size() > 1) {
    int best = std::numeric_limits<int>::max();
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks_.find(word[i] + " " + word[i + 1]);
      if (it != ranks_.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    }
    if (best == std::numeric_limits<int>::max()) break;
    const std::string first = word[at], second = word[at + 1];
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  return word;
}

std::vector<int> ClipTokenizer::encode(const std::string& text) const {
  auto cps = clean(text);
  std::vector<int> ids;
  auto emit = [&](std::size_t begin, std::size_t end) {
    std::string piece;
    for (std::size_t i = begin; i < end; ++i) piece += utf8(cps[i]);
    std::string bytes;
    for (unsigned char b : piece) bytes += byte_encoder_[b];
    for (const auto& tok : bpe(bytes)) ids.push_back(encoder_.at(tok));
  };
  auto matches = [&](std::size_t i, const std::string& lit) {
    if (i + lit.size() > cps.size()) return false;
    for (std::size_t k = 0; k < lit.size(); ++k)
      if (cps[i + k] != static_cast<unsigned char>(lit[k])) return false;
    return true;
  };
  for (std::size_t i = 0; i < cps.size();) {
    bool special = false;
    for (const char* lit : {"<|startoftext|>", "<|endoftext|>"})
      if (matches(i, lit)) {
        ids.push_back(encoder_.at(lit));
        i += std::string(lit).size();
        special = true;
        break;
      }
    if (special) continue;
    std::size_t len = 0;
    for (const char* c : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"})
      if (matches(i, c)) {
        len = std::string(c).size();
        break;
      }
    if (len == 0) {
      auto c = cps[i];
      std::size_t j = i + 1;
      if (is_letter(c)) {
        while (j < cps.size() && is_letter(cps[j])) ++j;
      } else if (is_number(c)) {
      } else if (!is_space(c)) {
        while (j < cps.size() && !is_space(cps[j]) && !is_letter(cps[j]) && !is_number(cps[j]))
          ++j;
      } else {
        ++i;  // whitespace separates tokens and is dropped
        continue;
      }
      len = j - i;
    }
    emit(i, i + len);
    i += len;
  }
  return ids;
}

std::vector<std::int64_t> ClipTokenizer::tokenize(const std::string& text,
                                                  int context_length) const {
  std::vector<std::int64_t> tokens{sot_};
  for (int id : encode(text)) tokens.push_back(id);
  tokens.push_back(eot_);
  if (static_cast<int>(tokens.size()) > context_length) {
    tokens.resize(context_length);
    tokens.back() = eot_;
  }
  tokens.resize(context_length, 0);
  return tokens;
}

}  // namespace segx::model
