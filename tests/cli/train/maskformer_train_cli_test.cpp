// segx train and segx infer with the original MaskFormer: a tiny maskformer trains for a few
// dozen iterations on a `segx convert synth` set with MaskFormer's criterion (its loss falls,
// validation runs without mask AP), and its weights serve panoptic and semantic inference while
// instance inference is refused (exit 64).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json maskformer_model() {
  auto m = small_model();
  m["architecture"] = "maskformer";
  m["resnet"]["norm_groups"] = 1;
  m["pixel_decoder"] = {{"name", "transformer_encoder"},
                        {"conv_dim", 32},
                        {"mask_dim", 32},
                        {"norm_groups", 1},
                        {"transformer_enc_layers", 1},
                        {"transformer_nheads", 4},
                        {"transformer_dim_feedforward", 64}};
  m["decoder"]["transformer_in_feature"] = "transformer_encoder";
  return m;
}

TEST(MaskFormerTrainCli, TinyMaskFormerTrainsAndInferServesPanopticAndSemantic) {
  auto dir = temp_dir("maskformer_train_cli");
  auto synth = dir / "synth";
  auto r = run_segx({"convert", "synth", "--out-dir", synth.string(), "--images", "4", "--width",
                     "96", "--height", "64", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto manifest = (synth / "manifest.jsonl").string();
  json config = {{"datasets", {{{"name", "synth"}, {"path", manifest}}}},
                 {"validation", {{"path", manifest}, {"slice", {0, 2}}}},
                 {"model", maskformer_model()},
                 {"solver",
                  {{"base_lr", 3e-3},
                   {"max_iter", 40},
                   {"ims_per_batch", 2},
                   {"checkpoint_period", 40},
                   {"log_period", 20},
                   {"clip_gradients", 1.0}}},
                 {"input", {{"crop_size", 64}, {"min_scale", 0.8}, {"max_scale", 1.0}}},
                 {"seed", 1}};
  auto out = dir / "run";
  r = run_segx({"train", "--config", write_train_config(dir, config).string(), "--out-dir",
                out.string(), "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::vector<json> lines;
  std::ifstream in(out / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  std::vector<json> losses;
  json eval;
  for (const auto& j : lines) {
    if (j.contains("total_loss")) losses.push_back(j);
    if (j.contains("eval")) eval = j["eval"];
  }
  ASSERT_EQ(losses.size(), 3u);  // iterations 1, 20, 40
  // MaskFormer's terms for each of its 3 decoder layers (deep supervision).
  for (const char* term : {"loss_ce", "loss_mask", "loss_dice", "loss_mask_0", "loss_dice_1"})
    EXPECT_TRUE(losses.back().contains(term)) << term << " " << losses.back().dump();
  EXPECT_FALSE(losses.back().contains("loss_mask_2"));
  EXPECT_LT(losses.back()["total_loss"].get<double>(), losses.front()["total_loss"].get<double>());
  ASSERT_TRUE(eval.is_object()) << "no evaluation line";
  EXPECT_EQ(eval["mask_AP"], -1) << eval.dump();  // no instance inference

  auto model = json::parse(read_file(out / "model_config.json"));
  EXPECT_EQ(model["architecture"], "maskformer");
  EXPECT_EQ(model["decoder"]["transformer_in_feature"], "transformer_encoder");
  const auto image = (synth / "images" / "000000000001.jpg").string();
  const auto cfg = (out / "model_config.json").string();
  const auto weights = (out / "model_final.safetensors").string();
  for (const char* task : {"panoptic", "semantic"}) {
    auto inf = run_segx({"infer", image, "--config", cfg, "--weights", weights, "--task", task});
    EXPECT_EQ(inf.exit_code, 0) << task << ": " << inf.err;
  }
  auto inf =
      run_segx({"infer", image, "--config", cfg, "--weights", weights, "--task", "instance"});
  EXPECT_EQ(inf.exit_code, 64) << inf.err;
  EXPECT_NE(inf.err.find("maskformer"), std::string::npos) << inf.err;
  EXPECT_EQ(std::count(inf.err.begin(), inf.err.end(), '\n'), 1) << inf.err;
}

}  // namespace
}  // namespace segx::test
