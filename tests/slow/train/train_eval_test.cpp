// The training run's validation metrics are segx's own: PQ, mIoU and mask AP in metrics.jsonl
// equal what `segx infer` + `segx eval pq|miou|ap` report for the same final model. Slow (about
// 45 s on 2 cores): the model trains until every metric is above zero, so that the comparison
// says something.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json config(const fs::path& manifest) {
  return {{"datasets", {{{"name", "synth"}, {"path", manifest.string()}}}},
          {"validation", {{"path", manifest.string()}}},
          {"model", small_model(16)},
          {"solver",
           {{"base_lr", 3e-3},
            {"max_iter", 400},
            {"ims_per_batch", 2},
            {"checkpoint_period", 1000},
            {"log_period", 100},
            {"clip_gradients", 1.0}}},
          {"input", {{"crop_size", 96}, {"min_scale", 0.5}, {"max_scale", 1.2}}},
          {"loss", {{"num_points", 256}}},
          {"seed", 1}};
}

json eval_json(const std::vector<std::string>& args, const fs::path& cwd = {}) {
  auto r = run_segx(args, {}, cwd);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(TrainEval, ValidationMetricsEqualSegxEvalOnTheFinalModel) {
  auto dir = temp_dir("train_eval_cli");
  auto data = dir / "synth";
  auto r = run_segx({"convert", "synth", "--out", data.string(), "--images", "8", "--width", "128",
                     "--height", "96", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto manifest = data / "manifest.jsonl";
  auto cfg = dir / "train.json";
  std::ofstream(cfg) << config(manifest).dump(2);
  auto out = dir / "run";
  r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json eval;
  std::ifstream metrics(out / "metrics.jsonl");
  for (std::string line; std::getline(metrics, line);)
    if (auto j = json::parse(line); j.contains("eval")) eval = j["eval"];
  ASSERT_TRUE(eval.is_object());
  for (const char* metric : {"PQ", "mIoU", "mask_AP"})  // (comparing zeros would say little)
    EXPECT_GT(eval[metric].get<double>(), 0.0) << eval.dump();

  const std::string model_config = (out / "model_config.json").string();
  const std::string weights = (out / "model_final.safetensors").string();
  const auto gt_text = read_file(manifest);
  // Panoptic predictions as a manifest: infer repeats the GT header and keeps each record's
  // image id, so its output is the prediction manifest as it stands.
  auto inf = run_segx({"infer", "-", "--config", model_config, "--weights", weights, "--out-dir",
                       (dir / "panoptic").string(), "-o", (data / "pred.jsonl").string()},
                      gt_text, data);
  ASSERT_EQ(inf.exit_code, 0) << inf.err;
  std::set<std::int64_t> things;
  const auto header = json::parse(gt_text.substr(0, gt_text.find('\n')));
  for (const auto& c : header["categories"])
    if (c["isthing"] == 1) things.insert(c["id"].get<std::int64_t>());
  auto pq = eval_json({"eval", "pq", "--gt-manifest", manifest.string(), "--pred-manifest",
                       (data / "pred.jsonl").string(), "--json", "-"});
  EXPECT_NEAR(eval["PQ"].get<double>(), 100 * pq["All"]["pq"].get<double>(), 1e-9);
  EXPECT_NEAR(eval["PQ_th"].get<double>(), 100 * pq["Things"]["pq"].get<double>(), 1e-9);
  auto miou =
      eval_json({"eval", "miou", "--averaging", "detectron2", "--gt-manifest", manifest.string(),
                 "--pred-manifest", (data / "pred.jsonl").string(), "--json", "-"});
  EXPECT_NEAR(eval["mIoU"].get<double>(), 100 * miou["mIoU"].get<double>(), 1e-9);

  // Instances: COCO AP over the thing categories (what the hook scores, as detectron2 does
  // when panoptic inference is on).
  r = run_segx({"convert", "panoptic2instances", (data / "panoptic_gt.json").string(), "-o",
                (dir / "gt_instances.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto gt = json::parse(read_file(dir / "gt_instances.json"));
  auto keep = [&](const json& list) {
    json kept = json::array();
    for (const auto& x : list)
      if (things.count(x[x.contains("category_id") ? "category_id" : "id"].get<std::int64_t>()))
        kept.push_back(x);
    return kept;
  };
  gt["categories"] = keep(gt["categories"]);
  gt["annotations"] = keep(gt["annotations"]);
  std::ofstream(dir / "gt_things.json") << gt.dump();
  inf = run_segx({"infer", "-", "--task", "instance", "--config", model_config, "--weights",
                  weights, "--out-dir", (dir / "instances").string()},
                 gt_text, data);
  ASSERT_EQ(inf.exit_code, 0) << inf.err;
  auto results = keep(json::parse(read_file(dir / "instances" / "results.json")));
  std::ofstream(dir / "results_things.json") << results.dump();
  auto ap = eval_json({"eval", "ap", "--gt", (dir / "gt_things.json").string(), "--results",
                       (dir / "results_things.json").string(), "--json", "-"});
  EXPECT_NEAR(eval["mask_AP"].get<double>(), 100 * ap["stats"]["AP"].get<double>(), 1e-9);
  EXPECT_NEAR(eval["mask_AP50"].get<double>(), 100 * ap["stats"]["AP50"].get<double>(), 1e-9);
}

}  // namespace
}  // namespace segx::test
