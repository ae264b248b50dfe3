// Data-parallel training: two `segx train` processes on loopback (Gloo, RANK/WORLD_SIZE/
// MASTER_ADDR/MASTER_PORT) end with the weights of one process training on the combined batch.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <ATen/ATen.h>

#include "segx/io/safetensors_torch.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json config(const fs::path& synth) {
  return {{"datasets", {{{"path", (synth / "manifest.jsonl").string()}}}},
          {"model", tiny_model()},
          // A small step: AdamW divides each gradient by its own magnitude, so where a gradient
          // is ~0 the float noise of a different summation order (batch 4 vs 2 + 2, then the
          // all-reduce) moves a weight by up to a step; at 1e-5 that stays below 1e-6.
          {"solver",
           {{"base_lr", 1e-5},
            {"max_iter", 4},
            {"ims_per_batch", 4},
            {"checkpoint_period", 100},
            {"log_period", 1}}},
          {"input", {{"crop_size", 64}, {"min_scale", 0.5}, {"max_scale", 1.5}}},
          {"loss", {{"num_points", 256}}},
          {"seed", 2}};
}

// Trains `cfg` in two processes on loopback into `out` (one chunk each).
void train_two_processes(const fs::path& dir, const fs::path& cfg, const fs::path& out) {
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const auto bin = segx_binary().string();
  std::string cmd;
  for (int rank = 0; rank < 2; ++rank)
    cmd += "RANK=" + std::to_string(rank) +
           " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " '" + bin +
           "' -q train --config '" + cfg.string() + "' --out-dir '" + out.string() + "' -j 1 2>'" +
           (dir / ("rank" + std::to_string(rank) + ".err")).string() + "' & p" +
           std::to_string(rank) + "=$!; ";
  cmd += "wait $p0 && wait $p1";
  const int status = std::system(cmd.c_str());
  ASSERT_EQ(status, 0) << read_file(dir / "rank0.err") << read_file(dir / "rank1.err");
}

// The largest absolute difference between two runs' final weights, and where.
std::pair<double, std::string> max_difference(const fs::path& a_dir, const fs::path& b_dir) {
  auto a = io::load_tensors((a_dir / "model_final.safetensors").string());
  auto b = io::load_tensors((b_dir / "model_final.safetensors").string());
  EXPECT_EQ(a.size(), b.size());
  std::pair<double, std::string> worst{0.0, ""};
  for (const auto& [name, t] : a) {
    if (!b.count(name)) return {INFINITY, name + " (missing)"};
    const double d = (t - b.at(name)).abs().max().item<double>();
    if (d > worst.first) worst = {d, name};
  }
  return worst;
}

TEST(DistributedTrain, TwoProcessesEqualOneProcessWithTheCombinedBatch) {
  auto dir = temp_dir("train_dist");
  auto synth = dir / "synth";
  auto r = run_segx({"convert", "synth", "--out-dir", synth.string(), "--images", "6", "--width", "96",
                     "--height", "72", "--seed", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cfg = dir / "train.json";
  std::ofstream(cfg) << config(synth).dump(2);

  r = run_segx(
      {"train", "--config", cfg.string(), "--out-dir", (dir / "single").string(), "-j", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  train_two_processes(dir, cfg, dir / "dist");
  const auto [worst, where] = max_difference(dir / "single", dir / "dist");
  EXPECT_LT(worst, 1e-6) << where;
  // Training moved the weights well beyond that tolerance after the first iteration.
  r = run_segx({"train", "--config", cfg.string(), "--out-dir", (dir / "one").string(), "-j", "1",
                "--max-iter", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto one = io::load_tensors((dir / "one" / "model_last.safetensors").string());
  auto single = io::load_tensors((dir / "single" / "model_final.safetensors").string());
  const auto& q = "sem_seg_head.predictor.query_feat.weight";
  EXPECT_GT((one.at(q) - single.at(q)).abs().max().item<double>(), 5e-6);
}

// OneFormer's contrastive loss sees the whole batch across processes (its rows all-gathered) as it
// does across chunks: 2 processes of 2 images equal 1 process running 2 chunks of 2.
TEST(DistributedTrain, OneFormerTwoProcessesEqualOneProcessInTwoChunks) {
  SEGX_REQUIRE_FIXTURES();  // the CLIP BPE vocabulary is a fixture
  auto dir = temp_dir("train_dist_oneformer");
  auto synth = dir / "synth";
  auto r = run_segx({"convert", "synth", "--out-dir", synth.string(), "--images", "6", "--width", "96",
                     "--height", "72", "--seed", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = config(synth);
  j["model"]["architecture"] = "oneformer";
  j["model"]["decoder"]["hidden_dim"] = 64;
  j["datasets"][0]["tasks"] = {"panoptic", "instance", "semantic"};
  j["text_encoder"] = {
      {"tokenizer",
       (fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz").string()},
      {"layers", 1},
      {"n_ctx", 2}};
  auto cfg = dir / "train.json";
  std::ofstream(cfg) << j.dump(2);
  r = run_segx(
      {"train", "--config", cfg.string(), "--out-dir", (dir / "single").string(), "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  train_two_processes(dir, cfg, dir / "dist");
  const auto [worst, where] = max_difference(dir / "single", dir / "dist");
  EXPECT_LT(worst, 1e-6) << where;
}

}  // namespace
}  // namespace segx::test
