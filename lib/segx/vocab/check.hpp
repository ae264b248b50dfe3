// Checking a manifest (or COCO JSON) against a vocabulary before training or applying it:
// header categories the vocabulary does not know, categories it expects but the header lacks,
// names that changed, and category ids used by records that neither knows.
#pragma once
#include <iosfwd>
#include <string>

#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

struct CheckResult {
  Json report;
  std::int64_t findings = 0;
};

// `dataset` empty: taken from the header (see resolve_dataset). A document already in the unified
// space (header "vocabulary" set) is checked against the unified classes.
CheckResult check_manifest(const Vocabulary& vocabulary, std::istream& in,
                           const std::string& origin, const std::string& dataset);

}  // namespace segx::vocab
