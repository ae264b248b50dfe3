// The unified vocabulary: classes (id, canonical name, synonyms, thing/stuff, color, covered
// dataset categories), the per-dataset mapping tables and the build report. Its JSON form is
// byte-stable (same inputs -> same bytes) so that it can live in version control.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "segx/vocab/category.hpp"

namespace segx::vocab {

inline constexpr int kFormatVersion = 1;

// One dataset category covered by a unified class.
struct SourceRef {
  std::string dataset;
  std::int64_t id = 0;
  std::string name;
};

struct UnifiedClass {
  std::int64_t id = 0;  // unified ids run from 1 (0 stays free for "unlabeled" in label PNGs)
  std::string name;
  std::vector<std::string> synonyms;
  bool isthing = false;
  Rgb color{};
  std::vector<SourceRef> sources;
};

// Why a category went where it went; every category gets one, so a person can review the table.
struct Decision {
  std::string dataset;
  std::int64_t id = 0;
  std::string name;
  std::int64_t class_id = 0;
  std::string rule;    // new, exact, alternate, suffix, synonym-table, wordnet
  std::string detail;  // the key or synset that matched
};

// Something a reviewer must look at: thing-stuff, suffix, split, ambiguous, many-to-one.
struct Conflict {
  std::string kind;
  std::string message;
  std::vector<std::int64_t> classes;
};

struct Policy {
  std::string name = "name";  // none | name | synonyms | wordnet
  bool merge_suffixed = false;
  std::string synonyms;  // table file name as given (informational)
  bool wordnet = false;
};

struct DatasetEntry {
  std::string name;
  std::string source;  // the header's "source" field, if any
  std::vector<Category> categories;
};

struct Vocabulary {
  Policy policy;
  std::vector<DatasetEntry> datasets;
  std::vector<UnifiedClass> classes;  // ordered by id
  std::vector<Decision> decisions;
  std::vector<Conflict> conflicts;

  const DatasetEntry* dataset(const std::string& name) const;
  const UnifiedClass* find_class(std::int64_t id) const;
  // Dataset category id -> unified id, ordered by dataset id.
  std::map<std::int64_t, std::int64_t> forward(const std::string& dataset) const;
  // Unified id -> dataset category id (the lowest one where several map to one class).
  std::map<std::int64_t, std::int64_t> inverse(const std::string& dataset) const;
};

Json to_json(const Vocabulary& vocabulary);
// Reads a vocabulary written by to_json; DataError naming `origin` on a malformed one, including
// a mapping table that disagrees with the classes' sources (a hand edit gone wrong).
Vocabulary vocabulary_from_json(const Json& doc, const std::string& origin);
Vocabulary load_vocabulary(const std::string& path);
// The same for a file's text already in memory; `origin` names it in messages.
Vocabulary parse_vocabulary(const std::string& text, const std::string& origin);

// The unified categories as manifest header categories (id, name, isthing, color).
Json unified_categories_json(const Vocabulary& vocabulary);

// Writes JSON with two-space indentation where objects and arrays that hold only scalars stay on
// one line: diffs stay small and the file stays readable. Ends with a newline.
void write_stable_json(std::ostream& out, const Json& value);
std::string stable_json(const Json& value);

}  // namespace segx::vocab
