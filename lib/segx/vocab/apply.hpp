// Rewriting category ids between a dataset's own space and the unified one, in segx manifests
// (JSON Lines with a header record), COCO JSON (instances, panoptic) and COCO results arrays.
// Every "category_id" field at any depth is rewritten, so record fields unknown to segx survive.
// Forward: the header's categories become the unified classes and the header gains
// "vocabulary": {"dataset": NAME}; inverse restores the dataset's own categories (as read when the
// vocabulary was built) and drops that key, so forward then inverse gives back the input.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

struct ApplyOptions {
  bool inverse = false;
  std::string dataset;  // empty: the header's "vocabulary.dataset" / "dataset", or the file stem
  bool drop_unmapped = false;  // inverse: drop elements whose class the dataset lacks (else error)
};

struct ApplyStats {
  std::string dataset;
  std::int64_t records = 0;
  std::int64_t rewritten = 0;  // category ids rewritten
  std::int64_t dropped = 0;    // elements dropped (inverse with drop_unmapped)
};

// Reads `in` (named `origin` in errors) and writes the rewritten document to `out`.
ApplyStats apply_vocabulary(const Vocabulary& vocabulary, std::istream& in,
                            const std::string& origin, std::ostream& out,
                            const ApplyOptions& options);

// Resolves the dataset a document belongs to; Config error when the vocabulary lacks it.
std::string resolve_dataset(const Vocabulary& vocabulary, const Json& header,
                            const std::string& given, const std::string& origin);

}  // namespace segx::vocab
