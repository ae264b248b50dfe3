// The training config read from its tables: every recipe loads, unknown keys (nested and in the
// inline model) and wrong types are Config errors naming the key, segx-config(5) covers it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/train/train_config.hpp"
#include "support/config_docs.hpp"
#include "support/fixtures.hpp"
#include "support/train_configs.hpp"

namespace segx::train {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json minimal() {
  return {{"datasets", {{{"name", "a"}, {"path", "a.jsonl"}}}}, {"model", test::tiny_model()}};
}

std::string error_of(const json& j, ErrorKind* kind = nullptr) {
  try {
    parse_train_config(j.dump(), "train.json", ".");
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

// Each recipe, with its inline model read as training reads it (the label space's num_classes
// and names left to their defaults).
TEST(TrainConfigTable, EveryRecipeLoads) {
  int recipes = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(SEGX_SOURCE_DIR) / "datasets/recipes")) {
    if (entry.path().extension() != ".json") continue;
    ++recipes;
    SCOPED_TRACE(entry.path().string());
    testing::internal::CaptureStderr();
    TrainConfig c;
    ASSERT_NO_THROW(c = load_train_config(entry.path().string()));
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "") << "a recipe uses a deprecated key";
    ASSERT_FALSE(c.datasets.empty());
    EXPECT_TRUE(fs::path(c.datasets[0].path).is_absolute() ||
                c.datasets[0].path.find("recipes/") != std::string::npos)
        << "not resolved against the recipe's folder: " << c.datasets[0].path;
    EXPECT_NO_THROW(
        model::read_model_config(json::parse(c.model_json), {c.model_source, "model.", true}));
  }
  EXPECT_GE(recipes, 4);
}

TEST(TrainConfigTable, RecipeValuesAreReadNotDefaulted) {
  auto c =
      load_train_config(std::string(SEGX_SOURCE_DIR) + "/datasets/recipes/n200_oneformer.json");
  EXPECT_EQ(c.solver.max_iter, 4000);
  EXPECT_EQ(c.solver.base_lr, 0.001);
  EXPECT_EQ(c.jitter.crop_height, 240);
  EXPECT_EQ(c.jitter.crop_width, 320);
  EXPECT_EQ(c.criterion.num_points, 2048);
  EXPECT_EQ(c.criterion.contrastive_weight, 0.5);
  EXPECT_EQ(c.text_encoder.n_ctx, 8);
  EXPECT_EQ(c.datasets[0].tasks.size(), 3u);
  EXPECT_TRUE(c.datasets[0].tasks_given);
  EXPECT_EQ(c.datasets[0].start, 0);
  EXPECT_EQ(c.datasets[0].stop, 160);
  ASSERT_TRUE(c.validation.has_value());
  EXPECT_EQ(c.validation->start, 160);
  EXPECT_EQ(c.seed, 1u);
}

TEST(TrainConfigTable, UnknownKeysNameTheFileAndTheFullDottedKey) {
  ErrorKind kind{};
  auto j = minimal();
  j["solver"] = {{"lr_sheduler", "poly"}};
  EXPECT_EQ(error_of(j, &kind), "'train.json': unknown key \"solver.lr_sheduler\"");
  EXPECT_EQ(kind, ErrorKind::Config);
  j = minimal();
  j["outptu"] = "run";
  EXPECT_EQ(error_of(j, &kind), "'train.json': unknown key \"outptu\" (did you mean \"output\"?)");
  EXPECT_EQ(kind, ErrorKind::Config);
  j = minimal();
  j["datasets"][0]["pth"] = "b.jsonl";
  EXPECT_EQ(error_of(j),
            "'train.json': unknown key \"datasets[0].pth\" (did you mean \"datasets[0].path\"?)");
  j = minimal();
  j["model"]["resnet"]["dpth"] = 18;
  EXPECT_EQ(
      error_of(j, &kind),
      "'train.json': unknown key \"model.resnet.dpth\" (did you mean \"model.resnet.depth\"?)");
  EXPECT_EQ(kind, ErrorKind::Config);
}

TEST(TrainConfigTable, UnknownKeyInAModelFileNamesThatFile) {
  auto dir = test::temp_dir("train_config_model_file");
  json model = test::tiny_model();
  model["decoder"]["num_querys"] = 3;
  std::ofstream(dir / "model.json") << model.dump();
  auto j = minimal();
  j["model"] = "model.json";
  std::ofstream(dir / "train.json") << j.dump();
  try {
    load_train_config((dir / "train.json").string());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_EQ(std::string(e.what()), "'" + (dir / "model.json").string() +
                                         "': unknown key \"decoder.num_querys\" (did you mean "
                                         "\"decoder.num_queries\"?)");
  }
}

TEST(TrainConfigTable, WrongTypesNameTheKeyAndTheExpectedType) {
  ErrorKind kind{};
  auto j = minimal();
  j["solver"] = {{"max_iter", "many"}};
  EXPECT_EQ(error_of(j, &kind), "'train.json': solver.max_iter must be an integer, not \"many\"");
  EXPECT_EQ(kind, ErrorKind::Config);
  j = minimal();
  j["solver"] = {{"amp", 1}};
  EXPECT_EQ(error_of(j), "'train.json': solver.amp must be a boolean, not 1");
  j = minimal();
  j["seed"] = -3;
  EXPECT_EQ(error_of(j), "'train.json': seed must be a non-negative integer, not -3");
  j = minimal();
  j["input"] = {{"crop_size", "big"}};
  EXPECT_NE(error_of(j).find("input.crop_size must be a positive size or [height, width]"),
            std::string::npos);
  j = minimal();
  j["datasets"][0]["slice"] = {1, 2, 3};
  EXPECT_EQ(error_of(j), "'train.json': datasets[0].slice must have 2 values, not [1,2,3]");
  j = minimal();
  j["model"]["decoder"]["dec_layers"] = 0;
  EXPECT_EQ(error_of(j), "'train.json': model.decoder.dec_layers must be >= 1, not 0");
  j = minimal();
  j.erase("model");
  EXPECT_EQ(error_of(j), "'train.json': model is required");
  j = minimal();
  j["datasets"] = json::array();
  EXPECT_EQ(error_of(j), "'train.json': datasets must not be empty, not []");
}

TEST(TrainConfigTable, CommentsAndANewerSchemaVersion) {
  auto j = minimal();
  j["comment"] = "a recipe";
  j["solver"] = {{"_why", "slow machine"}, {"max_iter", 3}};
  EXPECT_EQ(parse_train_config(j.dump(), "train.json", ".").solver.max_iter, 3);
  j["schema_version"] = kTrainConfigVersion + 1;
  ErrorKind kind{};
  EXPECT_NE(error_of(j, &kind).find("schema_version is 2, newer"), std::string::npos);
  EXPECT_EQ(kind, ErrorKind::Config);
}

TEST(TrainConfigTable, EveryKeyIsInTheManPage) {
  const auto page = test::config_man_page();
  const auto keys = train_config_keys();
  ASSERT_GT(keys.size(), 40u);
  test::expect_every_key_documented(page, keys);
  EXPECT_NE(page.find("\\fBsolver.base_lr\\fR (number; default 0.0001; > 0)"), std::string::npos);
}

}  // namespace
}  // namespace segx::train
