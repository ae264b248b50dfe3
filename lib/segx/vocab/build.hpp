// Building a unified vocabulary from several datasets' category lists under a merge policy.
//
// Policies (each includes the one before, except `none`):
//   none      every dataset category is its own class (DaTaSeg: only the embedding space is shared)
//   name      categories whose normalised names match merge (case, punctuation, plurals, the
//             alternates of "road, route"); categories of one dataset never merge together
//   synonyms  a user table decides first (SynonymTable), then names
//   wordnet   names, then the first noun synset of WordNet (opt-in, needs wordnet-base)
// COCO panoptic's "-merged"/"-other"/"-stuff" classes cover only part (or a union) of a concept:
// "wall-other-merged" is the walls that are not brick, stone, tile or wood. A name match that
// needs such a suffix removed is therefore reported as a `suffix` conflict and kept apart, unless
// `merge_suffixed` is set (or the synonym table says so).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "segx/vocab/synonyms.hpp"
#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

struct BuildOptions {
  std::string policy = "name";
  bool merge_suffixed = false;
  std::optional<SynonymTable> synonyms;
  std::string synonyms_name;  // recorded in the vocabulary's policy
  std::string wordnet_dir;    // empty: WordNet off
};

// `sources` carry each dataset's header "source" (may be empty), parallel to `lists`.
Vocabulary build_vocabulary(const std::vector<CategoryList>& lists,
                            const std::vector<std::string>& sources, const BuildOptions& options);

// A color for a class without one: a fixed hash of its name, so builds stay reproducible.
Rgb color_for_name(const std::string& name);

}  // namespace segx::vocab
