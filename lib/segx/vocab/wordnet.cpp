// WordNet index reader. index.noun lines: lemma pos synset_cnt p_cnt [ptr...] sense_cnt
// tagsense_cnt offset... ; offsets are listed most frequent sense first.
#include "segx/vocab/wordnet.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "segx/core/error.hpp"

namespace segx::vocab {

std::string wordnet_lemma(const std::string& words) {
  std::string lemma = words;
  for (auto& ch : lemma)
    if (ch == ' ') ch = '_';
  return lemma;
}

WordNet WordNet::load(const std::string& dir, const std::vector<std::string>& lemmas) {
  WordNet wn;
  wn.index_path_ = dir + "/index.noun";
  std::ifstream in(wn.index_path_);
  if (!in)
    fail(ErrorKind::Unavailable, "cannot open '{}': {} (install the wordnet-base package)",
         wn.index_path_, errno_text(errno));
  std::set<std::string> wanted(lemmas.begin(), lemmas.end());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ') continue;  // license header lines start with spaces
    auto space = line.find(' ');
    if (space == std::string::npos || !wanted.count(line.substr(0, space))) continue;
    std::istringstream fields(line);
    std::string lemma, pos;
    int synset_count = 0, pointer_count = 0;
    fields >> lemma >> pos >> synset_count >> pointer_count;
    std::string skip;
    for (int i = 0; i < pointer_count; ++i) fields >> skip;
    int sense_count = 0, tagged = 0;
    std::string offset;
    if (fields >> sense_count >> tagged >> offset && synset_count > 0) wn.synsets_[lemma] = offset;
  }
  return wn;
}

std::optional<std::string> WordNet::first_synset(const std::string& words) const {
  auto it = synsets_.find(wordnet_lemma(words));
  if (it == synsets_.end()) return std::nullopt;
  return it->second;
}

}  // namespace segx::vocab
