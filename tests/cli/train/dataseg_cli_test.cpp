// DaTaSeg co-training through `segx vocab build | segx train --vocab -`: a panoptic set and a
// boxes-only set share a vocabulary and its class embeddings; each dataset's share of the
// iterations follows its rate, the loss falls, validation reports PQ, mIoU and mask AP; bad
// inputs (a category the vocabulary lacks, a task the annotations cannot supply, rate 0, an
// empty dataset) are one-line errors with sysexits codes.
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

struct Sets {
  fs::path panoptic, boxes, vocab;
  std::string vocab_text;
};

const Sets& sets() {
  static Sets s = [] {
    auto d = temp_dir("dataseg_cli");
    Sets out;
    for (const char* seed : {"3", "4"}) {
      auto r = run_segx({"convert", "synth", "--out-dir", (d / seed).string(), "--images", "8",
                         "--width", "128", "--height", "96", "--seed", seed});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    out.panoptic = d / "3" / "manifest.jsonl";
    out.boxes = d / "4" / "boxes.jsonl";
    auto b = run_segx({"-q", "convert", "derive", (d / "4" / "manifest.jsonl").string(), "--to",
                       "boxes", "--name", "boxes", "-o", out.boxes.string()});
    EXPECT_EQ(b.exit_code, 0) << b.err;
    auto v = run_segx({"vocab", "build", out.panoptic.string(), out.boxes.string()});
    EXPECT_EQ(v.exit_code, 0) << v.err;
    out.vocab_text = v.out;
    out.vocab = d / "vocab.json";
    std::ofstream(out.vocab) << v.out;
    auto e = run_segx({"vocab", "embed", out.vocab.string(), "-o",
                       (d / "classes.safetensors").string(), "--dim", "32"});
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return out;
  }();
  return s;
}

json co_training_config(int iterations) {
  const auto& s = sets();
  json model = small_model();
  model["classifier"] = {{"type", "embedding"},
                         {"embedding_dim", 32},
                         {"embeddings", (s.vocab.parent_path() / "classes.safetensors").string()}};
  return {{"datasets",
           {{{"name", "synth"}, {"path", s.panoptic.string()}, {"slice", {0, 6}}, {"rate", 3}},
            {{"name", "boxes"}, {"path", s.boxes.string()}, {"rate", 1}}}},
          {"validation", {{"path", s.panoptic.string()}, {"slice", {6, 8}}}},
          {"model", model},
          {"solver",
           {{"base_lr", 3e-3},
            {"max_iter", iterations},
            {"ims_per_batch", 2},
            {"checkpoint_period", 1000},
            {"log_period", 10},
            {"eval_period", 0},
            {"clip_gradients", 1.0}}},
          {"input", {{"crop_size", 64}, {"min_scale", 0.5}, {"max_scale", 1.0}}},
          {"loss", {{"num_points", 256}}},
          {"seed", 1}};
}

TEST(DaTaSegCli, PanopticAndBoxesOnlySetsCoTrainOnAVocabularyFromStdin) {
  auto dir = temp_dir("dataseg_cli_run");
  // Learns measurably in ~30 s (see train_cli_test.cpp's learning_config): one-group GroupNorm,
  // whole-height crops, validation on two of the panoptic set's training images.
  json j = co_training_config(400);
  j["model"]["resnet"]["norm_groups"] = 1;
  j["model"]["pixel_decoder"]["norm_groups"] = 1;
  j["validation"]["slice"] = {0, 2};
  j["input"]["crop_size"] = 96;
  j["solver"]["log_period"] = 50;
  auto cfg = write_train_config(dir, j);
  auto out = dir / "run";
  auto r = run_segx(
      {"train", "--config", cfg.string(), "--out-dir", out.string(), "--vocab", "-", "-j", "2"},
      sets().vocab_text);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("class embeddings of dimension 32"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("restricted to each dataset's label space"), std::string::npos) << r.err;

  std::ifstream in(out / "metrics.jsonl");
  std::string line;
  std::map<std::string, int> drawn;
  std::vector<double> synth_loss;
  bool projection = false, boxes_projection = false, synth_projection = false;
  json eval;
  while (std::getline(in, line)) {
    auto j = json::parse(line);
    if (j.contains("eval")) eval = j["eval"];
    projection = projection || j.contains("loss_proj");
    if (!j.contains("datasets")) continue;
    for (const auto& [name, d] : j["datasets"].items()) drawn[name] += d["iterations"].get<int>();
    if (j["datasets"].contains("synth")) {
      synth_loss.push_back(j["datasets"]["synth"]["total_loss"].get<double>());
      synth_projection = synth_projection || j["datasets"]["synth"].contains("loss_proj");
    }
    if (j["datasets"].contains("boxes"))
      boxes_projection = boxes_projection || j["datasets"]["boxes"].contains("loss_proj");
  }
  // Rates 3 : 1 over 400 iterations (binomial sd 8.7 iterations, 0.022 of the share).
  EXPECT_EQ(drawn["synth"] + drawn["boxes"], 400);
  EXPECT_NEAR(drawn["synth"] / 400.0, 0.75, 0.08) << drawn["synth"] << " of 400";
  EXPECT_TRUE(projection) << "no box-projection loss";
  // Each dataset's own loss terms: the projection loss under the boxes-only set alone.
  EXPECT_TRUE(boxes_projection);
  EXPECT_FALSE(synth_projection);
  ASSERT_GE(synth_loss.size(), 4u);
  EXPECT_LT(synth_loss.back(), synth_loss.front() * 0.5)
      << "loss did not halve: " << synth_loss.front() << " -> " << synth_loss.back();
  ASSERT_TRUE(eval.is_object()) << "no evaluation line";
  for (const char* key : {"PQ", "mIoU", "mask_AP", "mask_AP50"})
    EXPECT_TRUE(eval.contains(key)) << key;
  EXPECT_GT(eval["mIoU"].get<double>(), 5.0) << eval.dump();  // measured 19.6
  EXPECT_GT(eval["PQ"].get<double>(), 5.0) << eval.dump();    // measured 19.6

  // The trained classifier's embeddings travel with the model: segx infer loads them.
  auto model = json::parse(read_file(out / "model_config.json"));
  EXPECT_EQ(model["classifier"]["embeddings"], "class_embeddings.safetensors");
  auto image = sets().panoptic.parent_path() / "images" / "000000000007.jpg";
  auto inf = run_segx({"infer", image.string(), "--config", (out / "model_config.json").string(),
                       "--weights", (out / "model_final.safetensors").string()});
  EXPECT_EQ(inf.exit_code, 0) << inf.err;
}

CliResult train_once(const std::string& tag, const json& j) {
  auto dir = temp_dir(tag);
  return run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir",
                   (dir / "run").string(), "--vocab", sets().vocab.string(), "--max-iter", "1"});
}

// A recipe names its vocabulary itself ("vocabulary", relative to the config file, so that one
// recipe runs without extra flags); --vocab overrides it.
TEST(DaTaSegCli, TheConfigNamesItsVocabularyAndVocabOverridesIt) {
  auto dir = temp_dir("dataseg_config_vocab");
  fs::copy_file(sets().vocab, dir / "merged.json", fs::copy_options::overwrite_existing);
  auto j = co_training_config(1);
  j["vocabulary"] = "merged.json";
  const auto config = write_train_config(dir, j).string();
  auto r = run_segx({"train", "--config", config, "--out-dir", (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("restricted to each dataset's label space"), std::string::npos) << r.err;
  const auto saved = json::parse(read_file(dir / "run" / "train_config.json"));
  EXPECT_EQ(saved["vocabulary"], (dir / "merged.json").string()) << "saved with its path absolute";

  j["vocabulary"] = "missing.json";
  const auto broken = write_train_config(dir, j).string();
  r = run_segx({"train", "--config", broken, "--out-dir", (dir / "run2").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
  r = run_segx({"train", "--config", broken, "--out-dir", (dir / "run3").string(), "--vocab",
                sets().vocab.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(DaTaSegCli, BadInputsNameTheDatasetAndTheProblem) {
  // A category the vocabulary lacks.
  auto extra = sets().boxes.parent_path() / "boxes_extra.jsonl";
  {
    std::ifstream in(sets().boxes);
    std::string line;
    std::getline(in, line);
    auto header = json::parse(line);
    header["categories"].push_back({{"id", 999}, {"name", "unicorn"}, {"isthing", 1}});
    std::ofstream o(extra);
    o << header.dump() << '\n' << in.rdbuf();
  }
  auto j = co_training_config(2);
  j["datasets"][1]["path"] = extra.string();
  auto r = train_once("dataseg_missing", j);
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("dataset 'boxes'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("category 999 'unicorn' is not in the vocabulary"), std::string::npos)
      << r.err;

  // A task the boxes cannot supply.
  j = co_training_config(2);
  j["datasets"][1]["tasks"] = {"panoptic"};
  r = train_once("dataseg_task", j);
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("dataset 'boxes'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("task 'panoptic'"), std::string::npos) << r.err;

  // Rate 0, and an empty dataset.
  j = co_training_config(2);
  j["datasets"][1]["rate"] = 0;
  r = train_once("dataseg_rate", j);
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("datasets[1].rate must be positive"), std::string::npos) << r.err;
  j = co_training_config(2);
  j["datasets"][1]["slice"] = {0, 0};
  r = train_once("dataseg_empty", j);
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("has no images to train on"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace segx::test
