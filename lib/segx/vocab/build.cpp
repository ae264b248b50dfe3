// The merge itself: one pass over the categories in input order, each either joining an existing
// class (with the rule recorded) or opening a new one; conflicts are collected along the way.
#include "segx/vocab/build.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "segx/core/error.hpp"
#include "segx/vocab/normalize.hpp"
#include "segx/vocab/wordnet.hpp"

namespace segx::vocab {

namespace {

// "Traffic-Light" -> "traffic light": lower case, hyphens and underscores as spaces, no plural
// folding (WordNet lists "stairs" and "skis" as lemmas of their own).
std::string lower_words(const std::string& text) {
  std::string out;
  for (unsigned char ch : text)
    out.push_back(ch == '-' || ch == '_' ? ' ' : static_cast<char>(std::tolower(ch)));
  return out;
}

// What the builder knows about a unified class beyond what it writes out.
struct ClassKeys {
  std::string primary;
  std::set<std::string> keys;  // primary and alternates of every source
  std::string stripped;        // suffix-stripped key of the first source ("" when unsuffixed)
  std::string table_name;      // synonym-table class, when the table created or claimed it
  std::string synset;
  std::set<std::string> datasets;
};

struct Builder {
  explicit Builder(const BuildOptions& o) : options(o) {}
  const BuildOptions& options;
  bool by_name = false;
  std::optional<WordNet> wordnet;
  Vocabulary v;
  std::vector<ClassKeys> keys;  // parallel to v.classes

  bool covers(std::size_t index, const std::string& dataset) const {
    return keys[index].datasets.count(dataset) > 0;
  }

  std::optional<std::string> synset_of(const NormalizedName& n, const std::string& display) const {
    if (!wordnet) return std::nullopt;
    if (auto s = wordnet->first_synset(n.primary)) return s;
    return wordnet->first_synset(lower_words(display));
  }

  std::size_t open_class(const std::string& dataset, const Category& c, const NormalizedName& n,
                         const std::string& name, const std::string& rule,
                         const std::string& detail) {
    UnifiedClass u;
    u.id = static_cast<std::int64_t>(v.classes.size()) + 1;
    u.name = name;
    u.isthing = c.isthing;
    u.color = c.color ? *c.color : color_for_name(name);
    v.classes.push_back(std::move(u));
    ClassKeys k;
    k.primary = n.primary;
    k.stripped = n.stripped;
    k.synset = synset_of(n, display_name(c.name)).value_or("");
    keys.push_back(std::move(k));
    attach(v.classes.size() - 1, dataset, c, n, rule, detail);
    return v.classes.size() - 1;
  }

  void attach(std::size_t index, const std::string& dataset, const Category& c,
              const NormalizedName& n, const std::string& rule, const std::string& detail) {
    UnifiedClass& u = v.classes[index];
    ClassKeys& k = keys[index];
    if (rule != "new" && u.isthing != c.isthing) {
      v.conflicts.push_back(
          {"thing-stuff",
           fmt::format(
               "{} '{}' ({}) is {} but joins class {} '{}', which is {}; the class keeps {}",
               dataset, c.name, c.id, c.isthing ? "a thing" : "stuff", u.id, u.name,
               u.isthing ? "a thing" : "stuff", u.isthing ? "thing" : "stuff"),
           {u.id}});
    }
    u.sources.push_back({dataset, c.id, c.name});
    k.keys.insert(n.primary);
    for (const auto& alt : n.alternates) k.keys.insert(alt);
    k.datasets.insert(dataset);
    for (const std::string& synonym : [&] {
           std::vector<std::string> names{display_name(c.name)};
           for (const auto& alt : name_alternates(c.name)) names.push_back(alt);
           return names;
         }()) {
      if (synonym != u.name &&
          std::find(u.synonyms.begin(), u.synonyms.end(), synonym) == u.synonyms.end())
        u.synonyms.push_back(synonym);
    }
    v.decisions.push_back({dataset, c.id, c.name, u.id, rule, detail});
  }

  // Finds the first class (lowest id) satisfying `match` that has no category of `dataset` yet.
  template <typename Match>
  std::optional<std::size_t> find(const std::string& dataset, Match match) const {
    for (std::size_t i = 0; i < v.classes.size(); ++i)
      if (!covers(i, dataset) && match(keys[i])) return i;
    return std::nullopt;
  }

  void add_by_table(const std::string& dataset, const Category& c, const NormalizedName& n,
                    const std::string& unified) {
    // A table class may gather several categories of one dataset (many-to-one, as in MSeg).
    for (std::size_t i = 0; i < v.classes.size(); ++i) {
      if (keys[i].table_name != unified) continue;
      if (covers(i, dataset)) {
        v.conflicts.push_back(
            {"many-to-one",
             fmt::format("the synonym table maps several {} categories to class {} '{}' (here '{}' "
                         "({})); mapping back gives the lowest id",
                         dataset, v.classes[i].id, v.classes[i].name, c.name, c.id),
             {v.classes[i].id}});
      }
      attach(i, dataset, c, n, "synonym-table", unified);
      return;
    }
    std::size_t index = open_class(dataset, c, n, unified, "synonym-table", unified);
    keys[index].table_name = unified;
  }

  void add(const std::string& dataset, const Category& c) {
    NormalizedName n = normalize_name(c.name);
    std::string display = display_name(c.name);
    if (options.synonyms) {
      if (auto unified = options.synonyms->lookup(dataset, c.name)) {
        add_by_table(dataset, c, n, *unified);
        return;
      }
    }
    if (!by_name) {
      open_class(dataset, c, n, display, "new", "");
      return;
    }
    // Table classes are closed: only the table adds to them.
    auto open_to_names = [](const ClassKeys& k) { return k.table_name.empty(); };
    if (auto i = find(dataset, [&](const ClassKeys& k) {
          return open_to_names(k) && k.primary == n.primary;
        })) {
      attach(*i, dataset, c, n, "exact", n.primary);
      return;
    }
    std::vector<std::string> mine{n.primary};
    mine.insert(mine.end(), n.alternates.begin(), n.alternates.end());
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < v.classes.size(); ++i) {
      if (covers(i, dataset) || !open_to_names(keys[i])) continue;
      if (std::any_of(mine.begin(), mine.end(),
                      [&](const std::string& key) { return keys[i].keys.count(key); }))
        hits.push_back(i);
    }
    if (!hits.empty()) {
      if (hits.size() > 1) {
        std::vector<std::int64_t> ids;
        std::string names;
        for (auto i : hits) {
          ids.push_back(v.classes[i].id);
          names += fmt::format("{}'{}'", names.empty() ? "" : ", ", v.classes[i].name);
        }
        v.conflicts.push_back(
            {"ambiguous",
             fmt::format("{} '{}' ({}) matches several classes ({}); joined the first", dataset,
                         c.name, c.id, names),
             ids});
      }
      attach(hits.front(), dataset, c, n, "alternate", n.primary);
      return;
    }
    // Suffix matches: "wall-other-merged" vs "wall", in either order.
    auto suffix_hit = find(dataset, [&](const ClassKeys& k) {
      if (!open_to_names(k)) return false;
      if (!n.stripped.empty()) return k.keys.count(n.stripped) > 0 || k.stripped == n.stripped;
      return !k.stripped.empty() && std::find(mine.begin(), mine.end(), k.stripped) != mine.end();
    });
    if (suffix_hit) {
      const UnifiedClass& u = v.classes[*suffix_hit];
      if (options.merge_suffixed) {
        attach(*suffix_hit, dataset, c, n, "suffix",
               n.stripped.empty() ? keys[*suffix_hit].stripped : n.stripped);
        return;
      }
      std::size_t index = open_class(dataset, c, n, display, "new", "");
      v.conflicts.push_back(
          {"suffix",
           fmt::format("{} '{}' ({}) and class {} '{}' both mean '{}' once COCO's -merged/-other/"
                       "-stuff suffix is removed; kept apart because such a class covers only part "
                       "of the concept (merge with --merge-suffixed or a synonym table)",
                       dataset, c.name, c.id, u.id, u.name,
                       n.stripped.empty() ? keys[*suffix_hit].stripped : n.stripped),
           {u.id, v.classes[index].id}});
      return;
    }
    if (wordnet && n.stripped.empty()) {
      if (auto synset = synset_of(n, display)) {
        if (auto i = find(dataset, [&](const ClassKeys& k) {
              return open_to_names(k) && k.stripped.empty() && k.synset == *synset;
            })) {
          attach(*i, dataset, c, n, "wordnet", "synset " + *synset);
          return;
        }
      }
    }
    open_class(dataset, c, n, display, "new", "");
  }

  // A class whose name is the head of several hyphenated categories of another dataset
  // ("wall" vs "wall-brick", "wall-stone", ..., "wall-other-merged") is split there.
  void find_splits(const std::vector<CategoryList>& lists) {
    for (std::size_t i = 0; i < v.classes.size(); ++i) {
      for (const auto& list : lists) {
        std::vector<const Category*> parts;
        for (const auto& c : list.categories) {
          auto n = normalize_name(c.name);
          if (!n.head.empty() && n.head == keys[i].primary && n.primary != keys[i].primary)
            parts.push_back(&c);
        }
        if (parts.size() < 2) continue;
        std::vector<std::int64_t> ids{v.classes[i].id};
        std::string names;
        for (const auto* p : parts) {
          names += fmt::format("{}'{}' ({})", names.empty() ? "" : ", ", p->name, p->id);
          for (const auto& u : v.classes)
            for (const auto& s : u.sources)
              if (s.dataset == list.dataset && s.id == p->id && u.id != v.classes[i].id &&
                  std::find(ids.begin(), ids.end(), u.id) == ids.end())
                ids.push_back(u.id);
        }
        v.conflicts.push_back({"split",
                               fmt::format("class {} '{}' is split in {} into {}", v.classes[i].id,
                                           v.classes[i].name, list.dataset, names),
                               ids});
      }
    }
  }
};

std::vector<std::string> wordnet_lemmas(const std::vector<CategoryList>& lists) {
  std::vector<std::string> lemmas;
  for (const auto& list : lists)
    for (const auto& c : list.categories) {
      auto n = normalize_name(c.name);
      lemmas.push_back(wordnet_lemma(n.primary));
      lemmas.push_back(wordnet_lemma(lower_words(display_name(c.name))));
    }
  return lemmas;
}

}  // namespace

Rgb color_for_name(const std::string& name) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
  return {static_cast<int>(h & 0xff), static_cast<int>((h >> 8) & 0xff),
          static_cast<int>((h >> 16) & 0xff)};
}

Vocabulary build_vocabulary(const std::vector<CategoryList>& lists,
                            const std::vector<std::string>& sources, const BuildOptions& options) {
  static const std::set<std::string> kPolicies = {"none", "name", "synonyms", "wordnet"};
  if (!kPolicies.count(options.policy))
    fail(ErrorKind::Usage, "unknown merge policy '{}' (none, name, synonyms, wordnet)",
         options.policy);
  if (options.policy == "synonyms" && !options.synonyms)
    fail(ErrorKind::Usage, "the synonyms policy needs a synonym table (--synonyms FILE)");
  if (lists.empty()) fail(ErrorKind::Usage, "no category lists to merge");
  Builder b(options);
  b.by_name = options.policy != "none";
  b.v.policy.name = options.policy;
  b.v.policy.merge_suffixed = options.merge_suffixed;
  b.v.policy.synonyms = options.synonyms_name;
  b.v.policy.wordnet = options.policy == "wordnet";
  if (options.policy == "wordnet")
    b.wordnet =
        WordNet::load(options.wordnet_dir.empty() ? WordNet::kDefaultDir : options.wordnet_dir,
                      wordnet_lemmas(lists));
  std::set<std::string> names;
  for (std::size_t i = 0; i < lists.size(); ++i) {
    const auto& list = lists[i];
    validate(list);
    if (!names.insert(list.dataset).second)
      fail(ErrorKind::Usage, "dataset name '{}' given twice ({}); rename one with NAME=FILE",
           list.dataset, list.origin);
    DatasetEntry entry{list.dataset, i < sources.size() ? sources[i] : std::string(),
                       list.categories};
    b.v.datasets.push_back(std::move(entry));
    for (const auto& c : list.categories) b.add(list.dataset, c);
  }
  if (b.by_name) b.find_splits(lists);
  return std::move(b.v);
}

}  // namespace segx::vocab
