// segx train killed with SIGKILL at 20 random moments (in a step, while writing a checkpoint,
// while validating) and resumed each time ends with weights identical, bit for bit, to an
// uninterrupted run; after every kill each checkpoint in the folder reads back.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "segx/io/safetensors.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

extern char** environ;

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Starts segx and kills it with SIGKILL after `delay`; true when it was still running then.
bool kill_after(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  std::vector<std::string> argv_s = {segx_binary().string(), "-q"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  const auto until = Clock::now() + delay;
  int status = 0;
  while (Clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return true;
}

// Every checkpoint the folder holds reads as a valid safetensors file, and last_checkpoint
// names one of them.
void expect_readable_checkpoints(const fs::path& out, int kill) {
  if (!fs::exists(out)) return;
  for (const auto& e : fs::directory_iterator(out)) {
    const auto name = e.path().filename().string();
    if (name.rfind("model_", 0) == 0 && e.path().extension() == ".safetensors") {
      EXPECT_NO_THROW(io::SafetensorsFile::read(e.path().string()))
          << "kill " << kill << ": " << name;
    }
  }
  if (fs::exists(out / "last_checkpoint")) {
    std::string name;
    std::ifstream(out / "last_checkpoint") >> name;
    EXPECT_TRUE(fs::exists(out / name)) << "kill " << kill << ": last_checkpoint names " << name;
  }
}

TEST(KillResume, TwentyKillsThenResumeEqualTheUninterruptedRunBitForBit) {
  const auto dir = temp_dir("kill_resume");
  auto r = run_segx({"convert", "synth", "--out-dir", (dir / "synth").string(), "--images", "6",
                     "--width", "96", "--height", "64", "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto manifest = (dir / "synth" / "manifest.jsonl").string();
  const json config = {{"datasets", {{{"name", "synth"}, {"path", manifest}, {"slice", {0, 4}}}}},
                       {"validation", {{"path", manifest}, {"slice", {4, 6}}}},
                       {"model", tiny_model()},
                       {"solver",
                        {{"base_lr", 1e-3},
                         {"max_iter", 120},
                         {"ims_per_batch", 2},
                         {"checkpoint_period", 3},
                         {"eval_period", 8},
                         {"log_period", 4},
                         {"keep_last", 2}}},
                       {"input", {{"crop_size", 48}}},
                       {"loss", {{"num_points", 64}}},
                       {"seed", 3}};
  const auto cfg = write_train_config(dir, config).string();
  auto job = [&](const fs::path& out) {
    return std::vector<std::string>{"train",      "--config", cfg, "--out-dir",
                                    out.string(), "-j",       "1", "--resume"};
  };
  const auto start = Clock::now();
  r = run_segx(job(dir / "straight"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto full = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);

  const auto want = io::load_tensors((dir / "straight" / "model_final.safetensors").string());
  auto expect_equal_to_straight = [&](const fs::path& out, int kills) {
    const auto got = io::load_tensors((out / "model_final.safetensors").string());
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [name, t] : want) {
      ASSERT_TRUE(got.count(name)) << name;
      EXPECT_TRUE(at::equal(got.at(name), t)) << name << " differs after " << kills << " kills";
    }
  };

  // Kill, resume, kill, ... until 20 kills have landed; a sequence that reaches the end (on a
  // busy machine a resumed run may get far between kills) is checked and a fresh one started.
  std::mt19937 rng(2026);
  int kills = 0, sequence = 0, kills_in_sequence = 0;
  auto out = dir / "killed0";
  for (int attempt = 0; kills < 20 && attempt < 200; ++attempt) {
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<long>(
        100, std::max<long>(200, static_cast<long>(full.count()) / 6))(rng));
    if (kill_after(job(out), delay)) {
      ++kills;
      ++kills_in_sequence;
    }
    expect_readable_checkpoints(out, attempt);
    if (fs::exists(out / "model_final.safetensors")) {
      expect_equal_to_straight(out, kills_in_sequence);
      out = dir / ("killed" + std::to_string(++sequence));
      kills_in_sequence = 0;
    }
  }
  EXPECT_GE(kills, 20);
  r = run_segx(job(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_equal_to_straight(out, kills_in_sequence);
}

}  // namespace
}  // namespace segx::test
