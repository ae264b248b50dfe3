// WordNet noun synsets read directly from the Princeton WordNet 3.0 database files (Debian's
// `wordnet-base` package: /usr/share/wordnet/index.noun), for the opt-in `wordnet` policy.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace segx::vocab {

class WordNet {
 public:
  static constexpr const char* kDefaultDir = "/usr/share/wordnet";

  // Loads the first-sense synset of each lemma in `lemmas` (spaces as underscores, lower case) from
  // `dir`/index.noun; Unavailable when the file is missing (install wordnet-base).
  static WordNet load(const std::string& dir, const std::vector<std::string>& lemmas);

  // The most frequent noun sense's synset offset ("04256520" for sofa and couch), if any.
  std::optional<std::string> first_synset(const std::string& words) const;

  const std::string& index_path() const { return index_path_; }

 private:
  std::string index_path_;
  std::map<std::string, std::string> synsets_;
};

// "traffic light" -> "traffic_light", the lemma form of index.noun.
std::string wordnet_lemma(const std::string& words);

}  // namespace segx::vocab
