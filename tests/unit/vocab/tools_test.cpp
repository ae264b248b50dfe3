// Embeddings, diff, check and apply on small in-memory inputs and the real category lists.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/vocab/apply.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/check.hpp"
#include "segx/vocab/diff.hpp"
#include "segx/vocab/embeddings.hpp"
#include "segx/vocab/sources.hpp"
#include "support/fixtures.hpp"

namespace segx::vocab {
namespace {

CategoryList list(const std::string& dataset, const char* categories) {
  return category_list_from_json(dataset, Json::parse(categories), dataset);
}

Vocabulary small_vocabulary() {
  auto a = list("a", R"([{"id": 1, "name": "person", "isthing": 1, "color": [1, 2, 3]},
                         {"id": 7, "name": "Roads", "isthing": 0}])");
  auto b = list(
      "b", R"([{"id": 3, "name": "road", "isthing": 0}, {"id": 4, "name": "tree", "isthing": 0},
                         {"id": 5, "name": "person", "isthing": 1, "supercategory": "human"}])");
  return build_vocabulary({a, b}, {}, {});
}

TEST(Embeddings, HashedDefaultIsDeterministicUnitLength) {
  auto v = small_vocabulary();
  auto e = default_embeddings(v, 64);
  ASSERT_EQ(e.vectors.size(), v.classes.size());
  for (const auto& vec : e.vectors) {
    ASSERT_EQ(vec.size(), 64u);
    double norm = 0;
    for (float x : vec) norm += double(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  EXPECT_EQ(stable_json(embeddings_to_json(e)),
            stable_json(embeddings_to_json(default_embeddings(v, 64))));
  // Names sharing spelling are closer than unrelated ones.
  auto dot = [](const std::vector<float>& x, const std::vector<float>& y) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += double(x[i]) * y[i];
    return s;
  };
  auto car = hashed_embedding({"traffic light"}, 256),
       cars = hashed_embedding({"traffic lights"}, 256), sky = hashed_embedding({"sky"}, 256);
  EXPECT_GT(dot(car, cars), dot(car, sky));
}

TEST(Embeddings, UserTableMatchesByNameAndSynonym) {
  auto v = small_vocabulary();
  auto table =
      parse_vector_table(R"({"person": [1, 0], "Roads": [0, 1], "tree": [0.5, 0.5]})", "vec.json");
  auto e = embeddings_from_table(v, table);
  EXPECT_EQ(e.dim, 2);
  EXPECT_EQ(e.vectors.size(), 3u);
}

TEST(Embeddings, InconsistentDimensionIsADataError) {
  try {
    parse_vector_table(R"({"person": [1, 0], "road": [0, 1, 2]})", "vec.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(), "vec.json: 'road' has 3 values but earlier vectors have 2");
  }
}

TEST(Embeddings, MissingClassIsAConfigError) {
  auto v = small_vocabulary();
  try {
    embeddings_from_table(v, parse_vector_table(R"({"person": [1, 0]})", "vec.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("no vector for 2 of 3 classes"), std::string::npos)
        << e.what();
  }
}

TEST(Diff, WithItselfIsEmpty) {
  auto a = load_categories(std::string(SEGX_SOURCE_DIR) + "/datasets/coco_panoptic.json");
  auto b = load_categories(std::string(SEGX_SOURCE_DIR) + "/datasets/ade20k.json");
  auto v = build_vocabulary({a.list, b.list}, {}, {});
  auto d = diff_vocabularies(v, v);
  EXPECT_TRUE(d.empty()) << d.report.dump();
}

TEST(Diff, ReportsRenamesAdditionsAndRemaps) {
  auto before = small_vocabulary();
  auto after = before;
  after.classes[0].name = "human";  // renamed
  UnifiedClass extra;
  extra.id = 99;
  extra.name = "sky";
  after.classes.push_back(extra);                // added
  auto moved = after.classes[2].sources.back();  // "b" tree -> road class
  after.classes[2].sources.pop_back();
  after.classes[1].sources.push_back(moved);
  auto d = diff_vocabularies(before, after);
  ASSERT_EQ(d.report["renamed"].size(), 1u);
  EXPECT_EQ(d.report["renamed"][0]["to"], "human");
  ASSERT_EQ(d.report["added"].size(), 1u);
  EXPECT_EQ(d.report["added"][0]["name"], "sky");
  ASSERT_EQ(d.report["remapped"].size(), 1u);
  EXPECT_EQ(d.report["remapped"][0]["dataset"], "b");
  EXPECT_EQ(d.report["remapped"][0]["id"], 4);
}

const char* kManifest =
    R"({"dataset": "b", "categories": [{"id": 3, "name": "road", "isthing": 0}, {"id": 4, "name": "tree", "isthing": 0}, {"id": 5, "name": "person", "isthing": 1, "supercategory": "human"}], "extra": true}
{"file_name": "x.jpg", "segments_info": [{"id": 1, "category_id": 5, "area": 10.5}, {"id": 2, "category_id": 3}], "unknown": {"category_id": 4}}
{"file_name": "y.jpg", "annotations": [{"category_id": 4, "bbox": [0.25, 1, 2, 3]}]}
)";

TEST(Apply, ForwardThenInverseIsTheIdentity) {
  auto v = small_vocabulary();
  std::istringstream in(kManifest);
  std::ostringstream unified;
  auto stats = apply_vocabulary(v, in, "m.jsonl", unified, {});
  EXPECT_EQ(stats.dataset, "b");
  EXPECT_EQ(stats.records, 2);
  EXPECT_EQ(stats.rewritten, 4);
  // person is class 1, road class 2, tree class 3.
  EXPECT_NE(unified.str().find(R"("category_id":1,"area":10.5)"), std::string::npos)
      << unified.str();
  EXPECT_NE(unified.str().find(R"("vocabulary":{"dataset":"b"})"), std::string::npos);
  std::istringstream back_in(unified.str());
  std::ostringstream back;
  ApplyOptions inverse;
  inverse.inverse = true;
  apply_vocabulary(v, back_in, "u.jsonl", back, inverse);
  std::istringstream expected(kManifest), got(back.str());
  std::string e, g;
  while (std::getline(expected, e)) {
    ASSERT_TRUE(std::getline(got, g));
    EXPECT_EQ(Json::parse(g), Json::parse(e));
    EXPECT_EQ(g, Json::parse(e).dump());
  }
  EXPECT_FALSE(std::getline(got, g));
}

TEST(Apply, UnknownIdIsAConfigErrorNamingTheLine) {
  auto v = small_vocabulary();
  std::istringstream in(R"({"dataset": "b", "categories": []}
{"segments_info": [{"category_id": 42}]}
)");
  std::ostringstream out;
  try {
    apply_vocabulary(v, in, "m.jsonl", out, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_STREQ(e.what(), "m.jsonl: line 2: category id 42 of 'b' is not in the vocabulary");
  }
}

TEST(Apply, InverseDropsClassesTheDatasetLacksOnlyWhenAsked) {
  auto v = small_vocabulary();  // class 3 (tree) exists only in b
  const char* results =
      R"([{"image_id": 1, "category_id": 1, "score": 0.9}, {"image_id": 1, "category_id": 3, "score": 0.5}])";
  ApplyOptions options;
  options.inverse = true;
  options.dataset = "a";
  std::istringstream in(results);
  std::ostringstream out;
  EXPECT_THROW(apply_vocabulary(v, in, "r.json", out, options), Error);
  options.drop_unmapped = true;
  std::istringstream in2(results);
  std::ostringstream out2;
  auto stats = apply_vocabulary(v, in2, "r.json", out2, options);
  EXPECT_EQ(stats.dropped, 1);
  EXPECT_EQ(Json::parse(out2.str()),
            Json::parse(R"([{"image_id": 1, "category_id": 1, "score": 0.9}])"));
}

TEST(Apply, CocoPanopticJsonRoundTrip) {
  SEGX_REQUIRE_FIXTURES();
  auto path = test::fixtures_root() / "real/panopticapi_sample/panoptic_examples.json";
  auto coco = load_categories(std::string(SEGX_SOURCE_DIR) + "/datasets/coco_panoptic.json");
  auto ade = load_categories(std::string(SEGX_SOURCE_DIR) + "/datasets/ade20k.json");
  auto v = build_vocabulary({ade.list, coco.list}, {}, {});  // ADE first: COCO ids really move
  std::string original = test::read_file(path);
  std::istringstream in(original);
  std::ostringstream unified;
  ApplyOptions options;
  options.dataset = "coco_panoptic";
  apply_vocabulary(v, in, path.string(), unified, options);
  EXPECT_NE(Json::parse(unified.str())["annotations"], Json::parse(original)["annotations"]);
  std::istringstream back_in(unified.str());
  std::ostringstream back;
  options.inverse = true;
  options.dataset.clear();  // taken from the "vocabulary" marker
  apply_vocabulary(v, back_in, "u.json", back, options);
  EXPECT_EQ(Json::parse(back.str()), Json::parse(original));
}

TEST(Check, ReportsUnknownMissingRenamedAndUnusedIds) {
  auto v = small_vocabulary();
  std::istringstream in(
      R"({"dataset": "b", "categories": [{"id": 3, "name": "road"}, {"id": 5, "name": "people"}, {"id": 9, "name": "sky"}]}
{"segments_info": [{"category_id": 3}, {"category_id": 11}]}
)");
  auto r = check_manifest(v, in, "m.jsonl", "");
  EXPECT_EQ(r.report["unknown_categories"], Json::parse(R"([{"id": 9, "name": "sky"}])"));
  EXPECT_EQ(r.report["missing_categories"], Json::parse(R"([{"id": 4, "name": "tree"}])"));
  EXPECT_EQ(r.report["renamed_categories"][0]["manifest"], "people");
  EXPECT_EQ(r.report["unknown_ids_in_records"], Json::parse(R"([{"id": 11, "count": 1}])"));
  EXPECT_EQ(r.findings, 4);
  std::istringstream clean(kManifest);
  EXPECT_EQ(check_manifest(v, clean, "m.jsonl", "").findings, 0);
}

TEST(Check, UnknownDatasetIsAConfigError) {
  auto v = small_vocabulary();
  std::istringstream in(R"({"dataset": "zzz", "categories": []})");
  EXPECT_THROW(check_manifest(v, in, "m.jsonl", ""), Error);
}

}  // namespace
}  // namespace segx::vocab
