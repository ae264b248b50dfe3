// Differences between two vocabularies, for review before a new one replaces the old:
// classes added, removed, renamed (same dataset categories, new name), renumbered (same class,
// new id), changed (thing/stuff, color, synonyms) and dataset categories remapped to another class.
#pragma once
#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

struct VocabularyDiff {
  Json report;  // {"added": [...], "removed": [...], "renamed": [...], "renumbered": [...],
                //  "changed": [...], "remapped": [...]}
  bool empty() const;
};

VocabularyDiff diff_vocabularies(const Vocabulary& before, const Vocabulary& after);

}  // namespace segx::vocab
