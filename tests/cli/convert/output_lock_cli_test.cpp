// A run into an output folder that another run is writing is refused at once with exit 73 and
// writes nothing; the test holds the lock as the other run would.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "segx/io/output_lock.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"
#include "support/train_configs.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

void expect_locked_out(const std::vector<std::string>& args, const fs::path& out) {
  io::OutputDirLock other_run(out);
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_NE(r.err.find("is being written by another segx run (pid " + std::to_string(::getpid())),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(OutputLockCli, ConvertVisualizeAndTrainRefuseAFolderAnotherRunWrites) {
  const auto dir = temp_dir("output_lock_cli");
  const auto set = dir / "set";
  auto r = run_segx({"convert", "synth", "--images", "2", "--width", "64", "--height", "48",
                     "--out-dir", set.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_locked_out({"convert", "synth", "--images", "2", "--out-dir", (dir / "s2").string()},
                    dir / "s2");
  expect_locked_out({"convert", "panoptic2semantic", (set / "panoptic_gt.json").string(),
                     "--out-dir", (dir / "sem").string()},
                    dir / "sem");
  expect_locked_out({"visualize", "overlay", "--manifest", (set / "manifest.jsonl").string(),
                     "--out-dir", (dir / "pictures").string()},
                    dir / "pictures");
  nlohmann::json train = {{"datasets", {{{"path", (set / "manifest.jsonl").string()}}}},
                          {"model", tiny_model()},
                          {"solver", {{"max_iter", 1}, {"ims_per_batch", 1}}},
                          {"input", {{"crop_size", 32}}}};
  expect_locked_out({"train", "--config", write_train_config(dir, train).string(), "--out-dir",
                     (dir / "run").string()},
                    dir / "run");
  // Without the other run, the same command works.
  r = run_segx({"visualize", "overlay", "--manifest", (set / "manifest.jsonl").string(),
                "--out-dir", (dir / "pictures").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(OutputLockCli, InferRefusesAFolderAnotherRunWrites) {
  SEGX_REQUIRE_FIXTURES();
  const auto dir = temp_dir("output_lock_infer");
  const auto model = fixtures_root() / "reference-model" / "small";
  expect_locked_out(
      {"infer", (fixtures_root() / "synth/n200/images/000000000001.jpg").string(), "--config",
       std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json", "--weights",
       (model / "weights.safetensors").string(), "--out-dir", (dir / "pred").string()},
      dir / "pred");
}

}  // namespace
}  // namespace segx::test
