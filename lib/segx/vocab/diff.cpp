// Vocabulary diff. Classes are paired by name first, then the unpaired ones by the dataset
// categories they share (most shared first, lowest ids breaking ties): a pair with different names
// is a rename; what stays unpaired was added or removed.
#include "segx/vocab/diff.hpp"

#include <map>
#include <set>

namespace segx::vocab {

namespace {

using SourceKey = std::pair<std::string, std::int64_t>;

std::set<SourceKey> source_keys(const UnifiedClass& c) {
  std::set<SourceKey> keys;
  for (const auto& s : c.sources) keys.insert({s.dataset, s.id});
  return keys;
}

Json class_brief(const UnifiedClass& c) {
  Json j = Json::object();
  j["id"] = c.id;
  j["name"] = c.name;
  return j;
}

// Pairs classes of `a` and `b`: index in a -> index in b.
std::map<std::size_t, std::size_t> pair_classes(const Vocabulary& a, const Vocabulary& b) {
  std::map<std::size_t, std::size_t> pairs;
  std::set<std::size_t> used;
  std::map<std::string, std::vector<std::size_t>> b_by_name;
  for (std::size_t j = 0; j < b.classes.size(); ++j) b_by_name[b.classes[j].name].push_back(j);
  // Same name: pair in order (names may repeat under the `none` policy).
  std::map<std::string, std::size_t> taken;
  for (std::size_t i = 0; i < a.classes.size(); ++i) {
    auto it = b_by_name.find(a.classes[i].name);
    if (it == b_by_name.end()) continue;
    std::size_t& next = taken[a.classes[i].name];
    if (next < it->second.size()) {
      pairs[i] = it->second[next++];
      used.insert(pairs[i]);
    }
  }
  // Shared dataset categories for the rest.
  for (std::size_t i = 0; i < a.classes.size(); ++i) {
    if (pairs.count(i)) continue;
    auto mine = source_keys(a.classes[i]);
    std::size_t best = b.classes.size(), best_shared = 0;
    for (std::size_t j = 0; j < b.classes.size(); ++j) {
      if (used.count(j)) continue;
      std::size_t shared = 0;
      for (const auto& s : b.classes[j].sources) shared += mine.count({s.dataset, s.id});
      if (shared > best_shared) best = j, best_shared = shared;
    }
    if (best < b.classes.size()) {
      pairs[i] = best;
      used.insert(best);
    }
  }
  return pairs;
}

}  // namespace

bool VocabularyDiff::empty() const {
  for (const auto& [key, value] : report.items())
    if (!value.empty()) return false;
  return true;
}

VocabularyDiff diff_vocabularies(const Vocabulary& a, const Vocabulary& b) {
  auto pairs = pair_classes(a, b);
  std::set<std::size_t> paired_b;
  for (const auto& [i, j] : pairs) paired_b.insert(j);
  Json added = Json::array(), removed = Json::array(), renamed = Json::array(),
       renumbered = Json::array(), changed = Json::array(), remapped = Json::array();
  for (std::size_t i = 0; i < a.classes.size(); ++i)
    if (!pairs.count(i)) removed.push_back(class_brief(a.classes[i]));
  for (std::size_t j = 0; j < b.classes.size(); ++j)
    if (!paired_b.count(j)) added.push_back(class_brief(b.classes[j]));
  std::map<std::int64_t, std::int64_t> a_to_b_id;  // class id in a -> paired class id in b
  for (const auto& [i, j] : pairs) {
    const auto& x = a.classes[i];
    const auto& y = b.classes[j];
    a_to_b_id[x.id] = y.id;
    if (x.name != y.name) renamed.push_back(Json{{"id", y.id}, {"from", x.name}, {"to", y.name}});
    if (x.id != y.id) renumbered.push_back(Json{{"name", y.name}, {"from", x.id}, {"to", y.id}});
    std::vector<std::string> fields;
    if (x.isthing != y.isthing) fields.push_back("isthing");
    if (x.color != y.color) fields.push_back("color");
    if (x.synonyms != y.synonyms) fields.push_back("synonyms");
    if (!fields.empty())
      changed.push_back(Json{{"id", y.id}, {"name", y.name}, {"fields", fields}});
  }
  // Every dataset category whose class is not the paired counterpart of its old class.
  std::map<SourceKey, const UnifiedClass*> in_a, in_b;
  for (const auto& c : a.classes)
    for (const auto& s : c.sources) in_a[{s.dataset, s.id}] = &c;
  for (const auto& c : b.classes)
    for (const auto& s : c.sources) in_b[{s.dataset, s.id}] = &c;
  std::set<SourceKey> all;
  for (const auto& [k, c] : in_a) all.insert(k);
  for (const auto& [k, c] : in_b) all.insert(k);
  for (const auto& key : all) {
    auto ia = in_a.find(key);
    auto ib = in_b.find(key);
    const UnifiedClass* from = ia == in_a.end() ? nullptr : ia->second;
    const UnifiedClass* to = ib == in_b.end() ? nullptr : ib->second;
    bool same = from && to && a_to_b_id.count(from->id) && a_to_b_id[from->id] == to->id;
    if (same) continue;
    Json entry = Json::object();
    entry["dataset"] = key.first;
    entry["id"] = key.second;
    entry["from"] = from ? class_brief(*from) : Json(nullptr);
    entry["to"] = to ? class_brief(*to) : Json(nullptr);
    remapped.push_back(std::move(entry));
  }
  VocabularyDiff d;
  d.report = Json::object();
  d.report["added"] = std::move(added);
  d.report["removed"] = std::move(removed);
  d.report["renamed"] = std::move(renamed);
  d.report["renumbered"] = std::move(renumbered);
  d.report["changed"] = std::move(changed);
  d.report["remapped"] = std::move(remapped);
  return d;
}

}  // namespace segx::vocab
