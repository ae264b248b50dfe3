// Killed runs and full disks: `convert`, `eval --json` and `infer` killed with SIGKILL at random
// moments leave either no output or the whole of it, and the old file intact; over a file-size
// limit (ulimit -f) or on a full file system a run exits 74 with a message and leaves nothing
// truncated; the next run clears what a killed one left.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

extern char** environ;

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs `segx args...` through /bin/sh with `prelude` first (e.g. "ulimit -f 20"); returns the
// exit code and stderr.
CliResult run_in_shell(const std::string& prelude, const std::vector<std::string>& args) {
  const auto dir = temp_dir("crash_shell");
  std::string command = prelude + "; exec '" + segx_binary().string() + "'";
  for (const auto& a : args) command += " '" + a + "'";
  command += " 2>'" + (dir / "err").string() + "' >'" + (dir / "out").string() + "'";
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = read_file(dir / "err");
  r.out = read_file(dir / "out");
  return r;
}

// Starts segx and kills it with SIGKILL after `delay`; true when it was still running then.
bool kill_after(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  std::vector<std::string> argv_s = {segx_binary().string(), "-q"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  std::this_thread::sleep_for(delay);
  int status = 0;
  const bool running = waitpid(pid, &status, WNOHANG) == 0;
  if (running) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return running;
}

// Files in `dir` whose names start with `prefix` (a killed run's leftovers).
std::vector<std::string> leftovers(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".lock") == std::string::npos) out.push_back(name);
  }
  return out;
}

fs::path synth_set(const fs::path& dir, int images) {
  auto r = run_segx({"convert", "synth", "--images", std::to_string(images), "--width", "160",
                     "--height", "120", "--predictions", "--out-dir", (dir / "set").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / "set";
}

// A folder from `convert synth` is there whole or not at all, whenever the run is killed.
TEST(CrashSafety, AKilledConvertLeavesNoFolderOrTheWholeOne) {
  const auto dir = temp_dir("crash_convert");
  const std::vector<std::string> job = {
      "convert", "synth",    "--images", "40",        "--width",
      "320",     "--height", "240",      "--out-dir", (dir / "out").string()};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_segx(job).exit_code, 0);
  const auto full = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  const auto complete = fs::directory_iterator(dir / "out" / "images");
  const auto count = std::distance(fs::begin(complete), fs::end(complete));
  fs::remove_all(dir / "out");
  std::mt19937 rng(7);
  int killed = 0;
  for (int i = 0; i < 8; ++i) {
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<long>(
        0, std::max<long>(1, static_cast<long>(full.count())))(rng));
    killed += kill_after(job, delay);
    if (fs::exists(dir / "out")) {  // committed: whole
      const auto images = fs::directory_iterator(dir / "out" / "images");
      EXPECT_EQ(std::distance(fs::begin(images), fs::end(images)), count) << "kill " << i;
      EXPECT_TRUE(fs::exists(dir / "out" / "panoptic_gt.json")) << "kill " << i;
      fs::remove_all(dir / "out");
    }
  }
  EXPECT_GT(killed, 0) << "no run was killed while running";
  // The next run clears the killed runs' stages.
  ASSERT_EQ(run_segx(job).exit_code, 0);
  EXPECT_EQ(leftovers(dir, ".out."), std::vector<std::string>{});
}

// eval --json FILE and infer -o FILE: a kill leaves the old file as it was, or the new one whole.
TEST(CrashSafety, AKilledEvalOrInferLeavesTheOldFileIntact) {
  const auto dir = temp_dir("crash_eval");
  const auto set = synth_set(dir, 40);
  const auto report = dir / "pq.json";
  std::ofstream(report) << "old report\n";
  const std::vector<std::string> eval = {"eval",        "pq",
                                         "--gt-json",   (set / "panoptic_gt.json").string(),
                                         "--pred-json", (set / "panoptic_pred.json").string(),
                                         "--json",      report.string(),
                                         "-j",          "1"};
  std::mt19937 rng(11);
  for (int i = 0; i < 8; ++i) {
    kill_after(eval, std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    const auto text = read_file(report);
    if (text != "old report\n") {
      EXPECT_NO_THROW(json::parse(text)) << "kill " << i << ": " << text.substr(0, 80);
      std::ofstream(report) << "old report\n";
    }
  }
  ASSERT_EQ(run_segx(eval).exit_code, 0);
  EXPECT_NO_THROW(json::parse(read_file(report)));
  EXPECT_EQ(leftovers(dir, ".pq.json.tmp"), std::vector<std::string>{});

  if (fixtures_root().empty()) return;  // infer needs the reference model
  const auto preds = dir / "preds.jsonl";
  std::ofstream(preds) << "old predictions\n";
  const std::vector<std::string> infer = {
      "infer",     (set / "images").string(),
      "--config",  std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json",
      "--weights", (fixtures_root() / "reference-model/small/weights.safetensors").string(),
      "-o",        preds.string(),
      "--out-dir", (dir / "pred").string()};
  for (int i = 0; i < 4; ++i) {
    kill_after(infer,
               std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 3000)(rng)));
    const auto text = read_file(preds);
    if (text != "old predictions\n") {
      EXPECT_TRUE(fs::exists(dir / "pred" / "panoptic.json")) << "kill " << i;
      std::ofstream(preds) << "old predictions\n";
      fs::remove_all(dir / "pred");
    }
    EXPECT_EQ(fs::exists(dir / "pred"), fs::exists(dir / "pred" / "panoptic.json")) << i;
    fs::remove_all(dir / "pred");
  }
}

TEST(CrashSafety, AFileSizeLimitGivesExit74AndNoTruncatedOutput) {
  const auto dir = temp_dir("crash_ulimit");
  const auto set = synth_set(dir, 4);
  // A folder writer: its first image is over 10 blocks of 512 bytes.
  auto r = run_in_shell("ulimit -f 10", {"convert", "synth", "--images", "4", "--width", "640",
                                         "--height", "480", "--out-dir", (dir / "big").string()});
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "big"));
  EXPECT_EQ(leftovers(dir, ".big."), std::vector<std::string>{});
  // A file writer: the old file stays as it was.
  std::ofstream(dir / "inst.json") << "old\n";
  r = run_in_shell("ulimit -f 1",
                   {"convert", "panoptic2instances", (set / "panoptic_gt.json").string(), "-o",
                    (dir / "inst.json").string()});
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_EQ(read_file(dir / "inst.json"), "old\n");
  EXPECT_EQ(leftovers(dir, ".inst.json.tmp"), std::vector<std::string>{});
}

TEST(CrashSafety, AFullFileSystemGivesExit74AndNoTruncatedOutput) {
  const auto dir = temp_dir("crash_full_disk");
  const auto set = synth_set(dir, 4);
  const auto small = dir / "small";
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "this machine does not let the test mount a tmpfs";
  auto r = run_segx({"convert", "synth", "--images", "8", "--width", "640", "--height", "480",
                     "--out-dir", (small / "out").string()});
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(small / "out"));
  EXPECT_EQ(leftovers(small, ".out."), std::vector<std::string>{});
  ::umount(small.c_str());
}

}  // namespace
}  // namespace segx::test
