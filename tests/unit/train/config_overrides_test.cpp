// KEY=VALUE overrides of a training config: JSON values or strings, list elements by index,
// path keys relative to the current folder, a model file read in before its keys change, and
// errors naming the override.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "segx/core/error.hpp"
#include "segx/train/config_overrides.hpp"
#include "support/fixtures.hpp"

namespace segx::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json base() {
  return json::parse(R"({"datasets": [{"path": "a.jsonl"}, {"path": "b.jsonl", "rate": 1}],
                         "solver": {"max_iter": 10}, "model": "model.json"})");
}

TEST(ConfigOverrides, ValuesAreJsonElseStrings) {
  auto j = base();
  apply_config_overrides(
      j,
      {"solver.max_iter=2000", "solver.base_lr=1e-3", "solver.amp=true",
       "datasets.1.tasks=[\"semantic\"]", "datasets.1.name=sem only", "datasets.1.rate=\"2\""},
      ".");
  EXPECT_EQ(j["solver"]["max_iter"], 2000);
  EXPECT_DOUBLE_EQ(j["solver"]["base_lr"].get<double>(), 1e-3);
  EXPECT_EQ(j["solver"]["amp"], true);
  EXPECT_EQ(j["datasets"][1]["tasks"], json::array({"semantic"}));
  EXPECT_EQ(j["datasets"][1]["name"], "sem only");
  EXPECT_EQ(j["datasets"][1]["rate"], "2");  // quoted: a string, which the parser then refuses
}

TEST(ConfigOverrides, PathsAreRelativeToTheCurrentFolder) {
  auto j = base();
  apply_config_overrides(j, {"datasets.0.path=data/gt.json", "output=/abs/run"}, "/configs");
  EXPECT_EQ(j["datasets"][0]["path"], (fs::current_path() / "data/gt.json").string());
  EXPECT_EQ(j["output"], "/abs/run");
  EXPECT_EQ(j["datasets"][1]["path"], "b.jsonl");  // untouched: still the file's, relative to it
  absolutize_config_paths(j, "/configs");
  EXPECT_EQ(j["datasets"][1]["path"], "/configs/b.jsonl");
  EXPECT_EQ(j["model"], "/configs/model.json");
  EXPECT_TRUE(train_config_path_key("validation.images"));
  EXPECT_TRUE(train_config_path_key("text_encoder.tokenizer"));
  EXPECT_FALSE(train_config_path_key("datasets.0.name"));
}

TEST(ConfigOverrides, AModelFileIsReadBeforeItsKeysChange) {
  const auto dir = test::temp_dir("config_overrides_model");
  std::ofstream(dir / "model.json")
      << R"({"architecture": "mask2former", "decoder": {"dec_layers": 3}})";
  auto j = base();
  apply_config_overrides(j, {"model.decoder.num_queries=16"}, dir.string());
  ASSERT_TRUE(j["model"].is_object());
  EXPECT_EQ(j["model"]["decoder"]["dec_layers"], 3);
  EXPECT_EQ(j["model"]["decoder"]["num_queries"], 16);
}

TEST(ConfigOverrides, BadOverridesAreUsageErrorsNamingThem) {
  for (const std::string bad : {"solver.max_iter", "=3", "datasets.2.path=x", "datasets.x.path=y",
                                "solver.max_iter.deeper=1", "solver..max_iter=1"}) {
    auto j = base();
    try {
      apply_config_overrides(j, {bad}, ".");
      ADD_FAILURE() << bad << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace segx::train
