// Building vocabularies from the real category lists in datasets/: the reviewed facts of the
// COCO panoptic + ADE20K + Cityscapes merge, the policies, and the bad-input errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/normalize.hpp"
#include "segx/vocab/sources.hpp"
#include "segx/vocab/wordnet.hpp"
#include "support/fixtures.hpp"

namespace segx::vocab {
namespace {

std::string dataset_file(const std::string& name) {
  return std::string(SEGX_SOURCE_DIR) + "/datasets/" + name + ".json";
}

Vocabulary build(const std::vector<std::string>& names, BuildOptions options = {}) {
  std::vector<CategoryList> lists;
  std::vector<std::string> sources;
  for (const auto& n : names) {
    auto loaded = load_categories(dataset_file(n));
    lists.push_back(loaded.list);
    sources.push_back(loaded.source);
  }
  return build_vocabulary(lists, sources, options);
}

std::vector<const UnifiedClass*> classes_covering(const Vocabulary& v, const std::string& dataset,
                                                  const std::string& name) {
  std::vector<const UnifiedClass*> out;
  for (const auto& c : v.classes)
    for (const auto& s : c.sources)
      if (s.dataset == dataset && s.name == name) out.push_back(&c);
  return out;
}

const UnifiedClass& class_of(const Vocabulary& v, const std::string& dataset,
                             const std::string& name) {
  auto found = classes_covering(v, dataset, name);
  if (found.size() != 1) throw std::runtime_error("expected one class for " + dataset + " " + name);
  return *found.front();
}

bool has_conflict(const Vocabulary& v, const std::string& kind, const std::string& needle) {
  return std::any_of(v.conflicts.begin(), v.conflicts.end(), [&](const Conflict& c) {
    return c.kind == kind && c.message.find(needle) != std::string::npos;
  });
}

const std::vector<std::string> kThree = {"coco_panoptic", "ade20k", "cityscapes"};

TEST(Normalize, CocoSuffixesPluralsAndAlternates) {
  auto n = normalize_name("wall-other-merged");
  EXPECT_EQ(n.primary, "wall other merged");
  EXPECT_EQ(n.stripped, "wall");
  EXPECT_EQ(n.suffixes, (std::vector<std::string>{"other", "merged"}));
  EXPECT_EQ(n.head, "wall");
  auto road = normalize_name("road, route");
  EXPECT_EQ(road.primary, "road");
  EXPECT_EQ(road.alternates, (std::vector<std::string>{"route"}));
  EXPECT_TRUE(road.stripped.empty());
  EXPECT_EQ(normalize_words("Traffic_Lights"), "traffic light");
  EXPECT_EQ(normalize_words("boxes"), "box");
  EXPECT_EQ(normalize_words("bus"), "bus");
  EXPECT_EQ(normalize_words("glass"), "glass");
  EXPECT_EQ(normalize_words("window "), "window");
  EXPECT_EQ(display_name("window "), "window");
}

TEST(Build, CocoAdeCityscapesByName) {
  auto v = build(kThree);
  // person: one class covering all three datasets.
  const auto& person = class_of(v, "coco_panoptic", "person");
  EXPECT_EQ(person.name, "person");
  EXPECT_EQ(person.sources.size(), 3u);
  EXPECT_EQ(&class_of(v, "ade20k", "person"), &person);
  EXPECT_EQ(&class_of(v, "cityscapes", "person"), &person);
  // ADE20K "wall" merges with Cityscapes "wall", but not with COCO "wall-other-merged".
  const auto& wall = class_of(v, "ade20k", "wall");
  EXPECT_EQ(&class_of(v, "cityscapes", "wall"), &wall);
  const auto& wall_other = class_of(v, "coco_panoptic", "wall-other-merged");
  EXPECT_NE(&wall, &wall_other);
  EXPECT_TRUE(has_conflict(
      v, "suffix",
      "ade20k 'wall' (0) and class " + std::to_string(wall_other.id) + " 'wall-other-merged'"));
  // The wall split in COCO panoptic is flagged.
  EXPECT_TRUE(has_conflict(v, "split", "'wall' is split in coco_panoptic into 'wall-brick' (171)"));
  // Alternate names: ADE "sidewalk, pavement" joins Cityscapes "sidewalk".
  EXPECT_EQ(&class_of(v, "ade20k", "sidewalk, pavement"), &class_of(v, "cityscapes", "sidewalk"));
  // Thing in COCO, stuff in Cityscapes: merged and flagged.
  EXPECT_EQ(&class_of(v, "coco_panoptic", "traffic light"),
            &class_of(v, "cityscapes", "traffic light"));
  EXPECT_TRUE(has_conflict(v, "thing-stuff", "cityscapes 'traffic light' (19) is stuff"));
  // Every category has exactly one class and one decision.
  EXPECT_EQ(v.decisions.size(), 133u + 150u + 19u);
  for (const auto& d : v.datasets)
    for (const auto& c : d.categories)
      EXPECT_EQ(classes_covering(v, d.name, c.name).size(), 1u) << c.name;
  // Ids run 1..N in order.
  for (std::size_t i = 0; i < v.classes.size(); ++i)
    EXPECT_EQ(v.classes[i].id, static_cast<std::int64_t>(i + 1));
}

TEST(Build, MergeSuffixedJoinsTheCocoRemainderClasses) {
  BuildOptions options;
  options.merge_suffixed = true;
  auto v = build(kThree, options);
  EXPECT_EQ(&class_of(v, "ade20k", "wall"), &class_of(v, "coco_panoptic", "wall-other-merged"));
  auto it = std::find_if(v.decisions.begin(), v.decisions.end(), [](const Decision& d) {
    return d.dataset == "ade20k" && d.name == "wall";
  });
  ASSERT_NE(it, v.decisions.end());
  EXPECT_EQ(it->rule, "suffix");
}

TEST(Build, NonePolicyKeepsEveryClassDistinct) {
  BuildOptions options;
  options.policy = "none";
  auto v = build(kThree, options);
  EXPECT_EQ(v.classes.size(), 133u + 150u + 19u);
  EXPECT_TRUE(v.conflicts.empty());
}

TEST(Build, SynonymTableDecidesFirst) {
  BuildOptions options;
  options.policy = "synonyms";
  options.synonyms = SynonymTable::parse_tsv(
      "# unified\tnames\nsofa\tcouch\tade20k:sofa\nwall\tcoco_panoptic:wall-other-merged\n",
      "t.tsv");
  auto v = build(kThree, options);
  EXPECT_EQ(&class_of(v, "coco_panoptic", "couch"), &class_of(v, "ade20k", "sofa"));
  EXPECT_EQ(class_of(v, "coco_panoptic", "couch").name, "sofa");
  EXPECT_EQ(&class_of(v, "coco_panoptic", "wall-other-merged"), &class_of(v, "ade20k", "wall"));
}

TEST(Build, SynonymTableMappingOneNameToTwoClassesIsAnError) {
  try {
    SynonymTable::parse_tsv("sofa\tcouch\nseat\tcouch\n", "syn.tsv");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(), "syn.tsv:2: 'couch' maps to both 'sofa' (syn.tsv:1) and 'seat'");
  }
  EXPECT_THROW(SynonymTable::parse_json(R"({"sofa": ["couch"], "seat": ["Couch"]})", "s.json"),
               Error);
}

TEST(Build, DuplicateCategoryIdsAreRejected) {
  Json cats = Json::parse(R"([{"id": 1, "name": "a"}, {"id": 1, "name": "b"}])");
  try {
    category_list_from_json("d", cats, "d.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(), "d.json: duplicate category id 1 ('a' and 'b')");
  }
}

TEST(Build, SameDatasetNameTwiceIsAUsageError) {
  auto a = load_categories(dataset_file("cityscapes"));
  EXPECT_THROW(build_vocabulary({a.list, a.list}, {}, {}), Error);
}

TEST(Build, WordNetMergesSynonymousNames) {
  if (!std::filesystem::exists(std::string(WordNet::kDefaultDir) + "/index.noun"))
    GTEST_SKIP() << "WordNet (wordnet-base) not installed";
  BuildOptions options;
  options.policy = "wordnet";
  auto v = build({"coco_panoptic", "ade20k"}, options);
  // couch and sofa share WordNet synset 04256520.
  const auto& couch = class_of(v, "coco_panoptic", "couch");
  EXPECT_EQ(&couch, &class_of(v, "ade20k", "sofa"));
  auto it = std::find_if(v.decisions.begin(), v.decisions.end(), [](const Decision& d) {
    return d.dataset == "ade20k" && d.name == "sofa";
  });
  ASSERT_NE(it, v.decisions.end());
  EXPECT_EQ(it->rule, "wordnet");
  EXPECT_EQ(it->detail, "synset 04256520");
  // Suffixed COCO classes stay out of WordNet matching.
  EXPECT_NE(&class_of(v, "ade20k", "wall"), &class_of(v, "coco_panoptic", "wall-other-merged"));
}

TEST(Build, OutputIsByteStableAndRoundTrips) {
  auto a = stable_json(to_json(build(kThree)));
  auto b = stable_json(to_json(build(kThree)));
  EXPECT_EQ(a, b);
  auto again = stable_json(to_json(vocabulary_from_json(Json::parse(a), "v.json")));
  EXPECT_EQ(a, again);
}

TEST(Build, EditedMappingTableIsDetected) {
  auto doc = to_json(build({"cityscapes"}));
  doc["mappings"]["cityscapes"][0][1] = 5;
  EXPECT_THROW(vocabulary_from_json(doc, "v.json"), Error);
}

TEST(DatasetLists, CocoPanopticEqualsPanopticapiCategories) {
  SEGX_REQUIRE_FIXTURES();
  auto fixture = Json::parse(test::read_file(
      test::fixtures_root() / "real/panopticapi_sample/panoptic_coco_categories.json"));
  auto ours = Json::parse(test::read_file(dataset_file("coco_panoptic")));
  ASSERT_EQ(fixture.size(), 133u);
  EXPECT_EQ(ours["categories"], fixture);
  EXPECT_FALSE(ours["source"].get<std::string>().empty());
}

TEST(DatasetLists, CityscapesEqualsCreatePanopticImgsCategories) {
  SEGX_REQUIRE_FIXTURES();
  auto fixture = Json::parse(test::read_file(
      test::fixtures_root() / "real/cityscapes_panoptic_derived/cityscapes_panoptic_val.json"));
  auto ours = Json::parse(test::read_file(dataset_file("cityscapes")))["categories"];
  for (auto& c : ours) c.erase("trainId");
  EXPECT_EQ(ours, fixture["categories"]);
}

TEST(DatasetLists, EveryListLoadsWithItsSourceAndExpectedSize) {
  const std::vector<std::pair<std::string, std::size_t>> expected = {
      {"coco_panoptic", 133},   {"coco_instances", 80},      {"ade20k", 150},
      {"cityscapes", 19},       {"cityscapes_labelids", 34}, {"cityscapes_trainids", 19},
      {"mapillary_vistas", 65}, {"objects365", 365}};
  for (const auto& [name, size] : expected) {
    auto loaded = load_categories(dataset_file(name));
    EXPECT_EQ(loaded.list.dataset, name);
    EXPECT_EQ(loaded.list.categories.size(), size) << name;
    EXPECT_FALSE(loaded.source.empty()) << name;
  }
}

}  // namespace
}  // namespace segx::vocab
