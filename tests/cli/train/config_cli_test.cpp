// Config errors through the command line: `segx train` and `segx infer` exit 78 with one line
// naming the file and the dotted key, before they create any output; an old model config with
// keys segx no longer reads loads with a warning.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json train_config(const fs::path& dir) {
  std::ofstream(dir / "a.jsonl") << "";
  return {{"datasets", {{{"path", "a.jsonl"}}}}, {"model", tiny_model()}};
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(ConfigCli, TrainRefusesAnUnknownKeyWithExit78NamingIt) {
  auto dir = temp_dir("config_cli_unknown");
  auto j = train_config(dir);
  j["solver"] = {{"lr_sheduler", "poly"}};
  auto r = run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir",
                     (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("train.json': unknown key \"solver.lr_sheduler\""), std::string::npos)
      << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run"));

  j = train_config(dir);
  j["model"]["decoder"]["num_querys"] = 4;
  r = run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir",
                (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("unknown key \"model.decoder.num_querys\" (did you mean "
                       "\"model.decoder.num_queries\"?)"),
            std::string::npos)
      << r.err;
}

TEST(ConfigCli, TrainRefusesAWrongTypeWithExit78) {
  auto dir = temp_dir("config_cli_type");
  auto j = train_config(dir);
  j["solver"] = {{"max_iter", 2.5}};
  auto r = run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir",
                     (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("solver.max_iter must be an integer, not 2.5"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// infer reads the model config before the weights: a newer schema is refused (78); the
// test.*_on keys of configs written by earlier versions warn, then the missing weights end it.
TEST(ConfigCli, InferRefusesANewerSchemaAndWarnsAboutRemovedKeys) {
  auto dir = temp_dir("config_cli_infer");
  std::ofstream(dir / "a.png") << "";
  auto model = tiny_model();
  model["schema_version"] = 99;
  std::ofstream(dir / "new.json") << model.dump();
  auto r = run_segx({"infer", (dir / "a.png").string(), "--config", (dir / "new.json").string(),
                     "--weights", (dir / "none.safetensors").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("new.json': schema_version is 99, newer than this segx reads"),
            std::string::npos)
      << r.err;

  model = tiny_model();
  model["test"] = {{"semantic_on", true}, {"instance_on", true}, {"panoptic_on", true}};
  std::ofstream(dir / "old.json") << model.dump();
  r = run_segx({"infer", (dir / "a.png").string(), "--config", (dir / "old.json").string(),
                "--weights", (dir / "none.safetensors").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;  // the config loaded; the weights are missing
  EXPECT_NE(r.err.find("old.json': test.semantic_on is no longer read"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("test.panoptic_on is no longer read"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace segx::test
