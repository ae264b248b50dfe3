// Name normalisation rules (documented in normalize.hpp and in the vocab man page).
#include "segx/vocab/normalize.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace segx::vocab {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<std::string> split_commas(const std::string& name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto comma = name.find(',', start);
    if (comma == std::string::npos) comma = name.size();
    auto part = trim(name.substr(start, comma - start));
    if (!part.empty()) parts.push_back(part);
    start = comma + 1;
  }
  return parts;
}

// COCO panoptic marks classes that are a remainder or a union of COCO-stuff classes.
constexpr std::array<const char*, 3> kCocoSuffixes = {"-merged", "-other", "-stuff"};

}  // namespace

std::string singular(const std::string& word) {
  if (word.size() <= 3) return word;
  if (ends_with(word, "ies")) return word.substr(0, word.size() - 3) + "y";
  for (const char* tail : {"sses", "shes", "ches", "xes", "zes"})
    if (ends_with(word, tail)) return word.substr(0, word.size() - 2);
  if (ends_with(word, "ss") || ends_with(word, "us") || ends_with(word, "is")) return word;
  if (word.back() == 's') return word.substr(0, word.size() - 1);
  return word;
}

std::string normalize_words(const std::string& text) {
  std::string spaced;
  spaced.reserve(text.size());
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch >= 0x80)
      spaced.push_back(static_cast<char>(std::tolower(ch)));
    else if (ch != '\'')  // "men's" -> "mens", not "men s"
      spaced.push_back(' ');
  }
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < spaced.size()) {
    while (i < spaced.size() && spaced[i] == ' ') ++i;
    auto j = i;
    while (j < spaced.size() && spaced[j] != ' ') ++j;
    if (j > i) words.push_back(spaced.substr(i, j - i));
    i = j;
  }
  if (words.empty()) return {};
  words.back() = singular(words.back());
  std::string out = words.front();
  for (std::size_t k = 1; k < words.size(); ++k) out += " " + words[k];
  return out;
}

std::string display_name(const std::string& name) {
  auto parts = split_commas(name);
  return parts.empty() ? trim(name) : parts.front();
}

std::vector<std::string> name_alternates(const std::string& name) {
  auto parts = split_commas(name);
  if (!parts.empty()) parts.erase(parts.begin());
  return parts;
}

NormalizedName normalize_name(const std::string& name) {
  NormalizedName n;
  std::string first = display_name(name);
  n.primary = normalize_words(first);
  for (const auto& alt : name_alternates(name)) {
    auto key = normalize_words(alt);
    if (!key.empty() && key != n.primary &&
        std::find(n.alternates.begin(), n.alternates.end(), key) == n.alternates.end())
      n.alternates.push_back(key);
  }
  std::string lowered = first;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string base = lowered;
  bool stripped_any = true;
  while (stripped_any) {
    stripped_any = false;
    for (const char* suffix : kCocoSuffixes) {
      std::string tail(suffix);
      if (base.size() > tail.size() && ends_with(base, tail)) {
        n.suffixes.insert(n.suffixes.begin(), tail.substr(1));
        base.resize(base.size() - tail.size());
        stripped_any = true;
      }
    }
  }
  if (!n.suffixes.empty()) n.stripped = normalize_words(base);
  auto hyphen = lowered.find('-');
  if (hyphen != std::string::npos && hyphen > 0)
    n.head = normalize_words(lowered.substr(0, hyphen));
  return n;
}

}  // namespace segx::vocab
