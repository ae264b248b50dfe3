// A user synonym/taxonomy table (like MSeg's): which dataset category names form one unified
// class. TSV: `unified<TAB>name<TAB>name...`, JSON: {"unified": ["name", ...]}. A name may be
// qualified `dataset:name` to apply to one dataset only; qualified entries win over plain ones.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace segx::vocab {

class SynonymTable {
 public:
  // Reads a .json file as JSON, anything else as TSV ('#' comments, blank lines skipped).
  // A name listed under two unified classes is a DataError naming both lines.
  static SynonymTable load(const std::string& path);
  static SynonymTable parse_tsv(const std::string& text, const std::string& origin);
  static SynonymTable parse_json(const std::string& text, const std::string& origin);

  // The unified class name for a dataset category, if the table lists it.
  std::optional<std::string> lookup(const std::string& dataset, const std::string& name) const;

  const std::string& origin() const { return origin_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string unified;
    std::string where;  // "file:line" of the entry, for conflict messages
  };
  void add(const std::string& unified, const std::string& name, const std::string& where);

  std::string origin_;
  std::map<std::string, Entry> entries_;  // key: "dataset\x1fnormalized" or "\x1fnormalized"
};

}  // namespace segx::vocab
