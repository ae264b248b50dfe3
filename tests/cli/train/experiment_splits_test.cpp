// scripts/derive_splits.sh on the n200 draw: the label-space experiment's two sets annotate the
// classes they say (the second under other ids and names), their merged vocabulary has the draw's
// 30 classes, and the scoring vocabulary maps the draw's ids there and back unchanged.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <set>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json header_of(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::string line;
  std::getline(in, line);
  return json::parse(line);
}

std::set<std::string> names_of(const json& header) {
  std::set<std::string> out;
  for (const auto& c : header["categories"]) out.insert(c["name"].get<std::string>());
  return out;
}

TEST(ExperimentSplits, LabelSpaceSetsAndTheirVocabulary) {
  SEGX_REQUIRE_FIXTURES();
  const auto out = temp_dir("experiment_splits") / "n200";
  const auto build = segx_binary().parent_path().parent_path();
  const std::string command = "SEGX_BUILD_DIR='" + build.string() + "' '" SEGX_SOURCE_DIR
                              "/scripts/derive_splits.sh' '" +
                              (fixtures_root() / "synth" / "n200").string() + "' '" +
                              out.string() + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  // Set A: thing_1-10 and stuff_92-107 under the draw's ids; set B: the rest plus the overlap
  // (thing_9, thing_10, stuff_107), every id moved up by 200 and renamed.
  const auto a = header_of(out / "labelspace_a.jsonl");
  const auto b = header_of(out / "labelspace_b.jsonl");
  EXPECT_EQ(a["categories"].size(), 15u);
  EXPECT_EQ(b["categories"].size(), 18u);
  EXPECT_EQ(names_of(a).count("thing_11"), 0u);
  EXPECT_EQ(names_of(b).count("object_9"), 1u);
  EXPECT_EQ(names_of(b).count("thing_9"), 0u);
  for (const auto& c : b["categories"]) EXPECT_GT(c["id"].get<int>(), 200) << c.dump();

  // The merge: 30 classes named as the draw's, three of them fed by both sets.
  const auto vocab = json::parse(read_file(out / "labelspace_vocab.json"));
  ASSERT_EQ(vocab["classes"].size(), 30u);
  int shared = 0;
  for (const auto& c : vocab["classes"]) {
    EXPECT_EQ(c["name"].get<std::string>().rfind(c["isthing"] == 1 ? "thing_" : "stuff_", 0), 0u)
        << c.dump();
    shared += c["sources"].size() == 2 ? 1 : 0;
  }
  EXPECT_EQ(shared, 3);

  // The draw's ground truth into the merged classes and back is the identity.
  auto forward = run_segx({"vocab", "apply", (out / "labelspace_scoring_vocab.json").string(),
                           (out / "all.jsonl").string(), "--dataset", "n200", "-o",
                           (out / "unified.jsonl").string()});
  ASSERT_EQ(forward.exit_code, 0) << forward.err;
  auto back = run_segx({"vocab", "apply", (out / "labelspace_scoring_vocab.json").string(),
                        (out / "unified.jsonl").string(), "--inverse", "--dataset", "n200", "-o",
                        (out / "back.jsonl").string()});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  std::ifstream original(out / "all.jsonl"), restored(out / "back.jsonl");
  std::string x, y;
  std::getline(original, x);  // headers differ in the dataset name only
  std::getline(restored, y);
  int records = 0;
  while (std::getline(original, x)) {
    ASSERT_TRUE(std::getline(restored, y));
    EXPECT_EQ(json::parse(x)["segments_info"], json::parse(y)["segments_info"]);
    ++records;
  }
  EXPECT_EQ(records, 200);
}

}  // namespace
}  // namespace segx::test
