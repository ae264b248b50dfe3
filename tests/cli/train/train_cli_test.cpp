// segx train end to end: a tiny model on a tiny `segx convert synth` set; the loss falls, the
// outputs exist and `segx infer` loads the weights; bad configs, refused folders, exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "segx/io/safetensors.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path& synth() {
  static fs::path dir = [] {
    auto d = temp_dir("train_cli_synth") / "synth";
    auto r = run_segx({"convert", "synth", "--out-dir", d.string(), "--images", "8", "--width",
                       "128", "--height", "96", "--seed", "3"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return d;
  }();
  return dir;
}

json tiny_config(int iterations) {
  return {
      {"datasets",
       {{{"name", "synth"}, {"path", (synth() / "manifest.jsonl").string()}, {"slice", {0, 6}}}}},
      {"validation", {{"path", (synth() / "manifest.jsonl").string()}, {"slice", {6, 8}}}},
      {"model", small_model()},
      {"solver",
       {{"base_lr", 3e-3},
        {"max_iter", iterations},
        {"ims_per_batch", 2},
        {"checkpoint_period", 40},
        {"log_period", 10},
        {"eval_period", 0},
        {"clip_gradients", 1.0}}},
      {"input", {{"crop_size", 64}, {"min_scale", 0.5}, {"max_scale", 1.0}}},
      {"loss", {{"num_points", 256}}},
      {"seed", 1}};
}

std::vector<json> metrics(const fs::path& out) {
  std::vector<json> r;
  std::ifstream in(out / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) r.push_back(json::parse(line));
  return r;
}

// A config that learns measurably in ~30 s on 2 cores: one-group GroupNorm (as the n200 recipe:
// with the default 32 groups a 16-channel stem normalises away each image's colour, which is what
// tells these classes apart), crops of the whole 96-pixel height, 400 iterations, and validation
// on two of the training images (six images cannot teach a held-out score; memorising them is
// what a working trainer does and a broken one does not).
json learning_config() {
  json j = tiny_config(400);
  j["model"]["resnet"]["norm_groups"] = 1;
  j["model"]["pixel_decoder"]["norm_groups"] = 1;
  j["validation"]["slice"] = {0, 2};
  j["input"]["crop_size"] = 96;
  j["solver"]["checkpoint_period"] = 200;
  j["solver"]["log_period"] = 50;
  return j;
}

TEST(TrainCli, TinyModelLearnsAndItsWeightsLoadInInfer) {
  auto dir = temp_dir("train_cli");
  auto cfg = write_train_config(dir, learning_config());
  auto out = dir / "run";
  auto r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("iter 400/400"), std::string::npos) << r.err;
  for (const char* f : {"metrics.jsonl", "model_final.safetensors", "model_config.json",
                        "model_0000200.safetensors", "model_0000400.safetensors", "last_checkpoint"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  auto m = metrics(out);
  std::vector<double> loss;
  json eval;
  for (const auto& j : m) {
    if (j.contains("total_loss")) loss.push_back(j["total_loss"].get<double>());
    if (j.contains("eval")) eval = j["eval"];
  }
  ASSERT_EQ(loss.size(), 9u);  // iterations 1, 50, 100, ..., 400
  // Bars a trainer that does not learn misses and a working one clears with a wide margin
  // (measured: total loss 35.0 -> 9.2, PQ 15.1 and mIoU 16.4 on the two training images; an
  // untrained or non-stepping model scores 0).
  EXPECT_LT(loss.back(), loss.front() * 0.5)
      << "loss did not halve: " << loss.front() << " -> " << loss.back();
  ASSERT_TRUE(eval.is_object()) << "no evaluation line";
  EXPECT_EQ(eval["images"], 2);
  EXPECT_GT(eval["PQ"].get<double>(), 5.0) << eval.dump();
  EXPECT_GT(eval["mIoU"].get<double>(), 5.0) << eval.dump();

  auto image = synth() / "images" / "000000000007.jpg";
  auto inf = run_segx({"infer", image.string(), "--config", (out / "model_config.json").string(),
                       "--weights", (out / "model_final.safetensors").string()});
  ASSERT_EQ(inf.exit_code, 0) << inf.err;
  // The first line is the output manifest's header, the second the image's record.
  const auto second = inf.out.find('\n') + 1;
  auto rec = json::parse(inf.out.substr(second, inf.out.find('\n', second) - second));
  EXPECT_EQ(rec.at("width"), 128);

  // Finished: a second run in the same folder is refused, --resume has nothing left to do.
  r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string()});
  EXPECT_EQ(r.exit_code, 73) << r.err;
  r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "--resume"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(TrainCli, BadConfigsAndDevices) {
  auto dir = temp_dir("train_cli_bad");
  auto j = tiny_config(2);
  j["solver"]["ims_per_batch"] = "four";
  auto r = run_segx({"train", "--config", write_train_config(dir / "a", j).string(), "--out-dir",
                     (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("train.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("solver.ims_per_batch"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  j = tiny_config(2);
  j["datasets"][0]["path"] = (dir / "missing.jsonl").string();
  r = run_segx({"train", "--config", write_train_config(dir / "b", j).string(), "--out-dir",
                (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;

  r = run_segx(
      {"train", "--config", (dir / "none.json").string(), "--out-dir", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;

  r = run_segx({"train", "--config", write_train_config(dir / "c", tiny_config(2)).string(),
                "--out-dir", (dir / "out_cuda").string(), "--device", "cuda"});
  EXPECT_EQ(r.exit_code, 69) << r.err;
}

TEST(TrainCli, MaxIterStopsWithACheckpointAndResumeFinishes) {
  auto dir = temp_dir("train_cli_resume");
  auto cfg = write_train_config(dir, tiny_config(4));
  auto out = dir / "run";
  auto r =
      run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "--max-iter", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "model_0000002.safetensors"));
  EXPECT_FALSE(fs::exists(out / "model_final.safetensors"));
  r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "model_final.safetensors"));
}

// KEY=VALUE overrides change the run (here its dataset, relative to the current folder, its
// iterations and the model's queries) and the config as run is saved with them.
TEST(TrainCli, CommandLineOverridesChangeTheRunAndAreSaved) {
  auto dir = temp_dir("train_cli_overrides");
  auto cfg = tiny_config(50);
  cfg["datasets"][0]["path"] = "no_such_manifest.jsonl";
  const auto config = write_train_config(dir, cfg);
  fs::create_directories(dir / "cwd");
  fs::create_directory_symlink(synth(), dir / "cwd" / "data");
  const auto out = dir / "run";
  auto r =
      run_segx({"train", "--config", config.string(), "--out-dir", out.string(),
                "datasets.0.path=data/manifest.jsonl", "solver.max_iter=2", "model.decoder.num_queries=6"},
               "", dir / "cwd");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "model_final.safetensors"));
  EXPECT_TRUE(has(r.err, "training 2 iterations")) << r.err;
  const auto model = json::parse(read_file(out / "model_config.json"));
  EXPECT_EQ(model.at("decoder").at("num_queries"), 6);
  const auto saved = json::parse(read_file(out / "train_config.json"));
  EXPECT_EQ(saved.at("datasets").at(0).at("path"), (dir / "cwd" / "data" / "manifest.jsonl").string());
  EXPECT_EQ(saved.at("solver").at("max_iter"), 2);
  EXPECT_EQ(saved.at("_overrides").size(), 3u);
  // The saved config runs again from anywhere (its paths are absolute).
  r = run_segx({"train", "--config", (out / "train_config.json").string(), "--out-dir",
                (dir / "again").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // A key the config does not have is refused by name; a malformed override is a usage error.
  r = run_segx({"train", "--config", config.string(), "--out-dir", (dir / "bad").string(),
                "solver.max_iters=2"});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_TRUE(has(r.err, "solver.max_iters")) << r.err;
  r = run_segx({"train", "--config", config.string(), "--out-dir", (dir / "bad").string(),
                "datasets.3.path=x"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_TRUE(has(r.err, "datasets.3.path=x")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

TEST(TrainCli, VocabularyOnStdinIsTheLabelSpace) {
  auto dir = temp_dir("train_cli_vocab");
  auto vocab = run_segx({"vocab", "build", (synth() / "manifest.jsonl").string()});
  ASSERT_EQ(vocab.exit_code, 0) << vocab.err;
  auto j = tiny_config(2);
  j["datasets"][0]["name"] = "renamed";  // found through the manifest header's dataset name
  auto cfg = write_train_config(dir, j);
  auto r = run_segx(
      {"train", "--config", cfg.string(), "--out-dir", (dir / "run").string(), "--vocab", "-"},
      vocab.out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto model = json::parse(read_file(dir / "run" / "model_config.json"));
  EXPECT_EQ(model.at("num_classes"), 30);
  EXPECT_EQ(model.at("class_names").at(0), "thing_1");
}

TEST(TrainCli, SigtermCheckpointsAndExits143ThenResumeContinues) {
  auto dir = temp_dir("train_cli_signal");
  auto cfg = write_train_config(dir, tiny_config(100000));
  auto out = dir / "run";
  const std::string cmd = "'" + segx_binary().string() + "' train --config '" + cfg.string() +
                          "' --output '" + out.string() + "' -j 1 2>'" + (dir / "err").string() +
                          "' & p=$!; sleep 2; kill -TERM $p; wait $p; echo $? > '" +
                          (dir / "rc").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(std::stoi(read_file(dir / "rc")), 143) << read_file(dir / "err");
  EXPECT_NE(read_file(dir / "err").find("stopped by signal 15"), std::string::npos)
      << read_file(dir / "err");
  auto last = read_file(out / "last_checkpoint");
  EXPECT_EQ(last.rfind("model_", 0), 0u) << last;
  EXPECT_TRUE(fs::exists(out / last.substr(0, last.size() - 1)));
  EXPECT_TRUE(fs::exists(out / "model_last.safetensors"));
  auto r = run_segx({"train", "--config", cfg.string(), "--out-dir", out.string(), "--resume",
                     "--max-iter", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A tiny OneFormer training config for `iterations`, all three tasks, with CLIP's BPE file (a
// fixture) copied into `dir` beside the config that names it.
json tiny_oneformer_config(const fs::path& dir, int iterations) {
  fs::copy_file(fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz",
                dir / "bpe.txt.gz");
  auto j = tiny_config(iterations);
  j.erase("validation");
  j["model"]["architecture"] = "oneformer";
  j["model"]["decoder"]["hidden_dim"] = 64;  // a multiple of 64, as the text encoder's width
  j["datasets"][0]["tasks"] = {"panoptic", "instance", "semantic"};
  j["text_encoder"] = {{"tokenizer", "bpe.txt.gz"}, {"layers", 1}, {"n_ctx", 2}};
  return j;
}

TEST(TrainCli, TinyOneFormerLearnsAndInferLoadsIt) {
  SEGX_REQUIRE_FIXTURES();  // the CLIP BPE vocabulary is a fixture
  auto dir = temp_dir("train_cli_oneformer");
  auto j = tiny_oneformer_config(dir, 60);

  // Without the tokenizer (or with a missing one) OneFormer cannot train: exit 78.
  auto bad = j;
  bad.erase("text_encoder");
  auto r = run_segx({"train", "--config", write_train_config(dir / "bad", bad).string(),
                     "--out-dir", (dir / "bad_run").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("text_encoder.tokenizer"), std::string::npos) << r.err;
  r = run_segx({"train", "--config", write_train_config(dir / "bad", j).string(), "--out-dir",
                (dir / "bad_run").string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("bpe.txt.gz' does not exist"), std::string::npos) << r.err;

  auto out = dir / "run";
  r = run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir", out.string(),
                "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> loss;
  for (const auto& m : metrics(out)) {
    EXPECT_GT(m.at("loss_contrastive").get<double>(), 0.0);
    loss.push_back(m.at("total_loss").get<double>());
  }
  ASSERT_EQ(loss.size(), 7u);  // iterations 1, 10, 20, ..., 60
  const double early = loss[0] + loss[1], late = loss[5] + loss[6];
  EXPECT_LT(late, early * 0.9) << "loss did not fall: " << early << " -> " << late;

  // model_config.json names the tokenizer training used (copied beside it): infer needs no flag.
  auto image = synth() / "images" / "000000000007.jpg";
  auto inf =
      run_segx({"infer", image.string(), "--config", (out / "model_config.json").string(),
                "--weights", (out / "model_final.safetensors").string(), "--task", "panoptic"});
  ASSERT_EQ(inf.exit_code, 0) << inf.err;
  const auto second = inf.out.find('\n') + 1;
  EXPECT_EQ(json::parse(inf.out.substr(second, inf.out.find('\n', second) - second)).at("width"),
            128);
}

// oneformer.task_embedding "learned": training saves one vector per task under
// task_embed.weight (no token MLP) and writes the option into model_config.json; infer then
// conditions on the task's row and reads no tokenizer (the copy beside the config is removed).
TEST(TrainCli, OneFormerWithALearnedTaskEmbeddingTrainsAndInfersEveryTask) {
  SEGX_REQUIRE_FIXTURES();  // the text encoder still tokenizes the class texts
  auto dir = temp_dir("train_cli_oneformer_learned_task");
  auto j = tiny_oneformer_config(dir, 2);
  j["model"]["oneformer"] = {{"task_embedding", "learned"}};
  auto out = dir / "run";
  auto r = run_segx({"train", "--config", write_train_config(dir, j).string(), "--out-dir",
                     out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto weights = io::SafetensorsFile::read((out / "model_final.safetensors").string());
  ASSERT_TRUE(weights.contains("task_embed.weight"));
  EXPECT_EQ(weights.info("task_embed.weight").shape, (std::vector<std::int64_t>{3, 64}));
  EXPECT_FALSE(weights.contains("task_mlp.layers.0.weight"));
  const auto model_config = json::parse(read_file(out / "model_config.json"));
  EXPECT_EQ(model_config.at("oneformer").at("task_embedding"), "learned");

  for (const auto& file : fs::directory_iterator(out))
    if (file.path().string().find(".txt.gz") != std::string::npos) fs::remove(file.path());
  auto image = synth() / "images" / "000000000007.jpg";
  for (const std::string task : {"panoptic", "instance", "semantic"}) {
    auto inf =
        run_segx({"infer", image.string(), "--config", (out / "model_config.json").string(),
                  "--weights", (out / "model_final.safetensors").string(), "--task", task});
    EXPECT_EQ(inf.exit_code, 0) << task << ": " << inf.err;
  }
}

}  // namespace
}  // namespace segx::test
