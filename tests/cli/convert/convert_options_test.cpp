// `segx convert` options: each one works or is refused with exit 64 and a reason; the old
// spellings (--out, --out-json, --scheme panoptic_fpn) work for one release with a warning; the
// overwrite rule (a named file is replaced, a non-empty folder needs --overwrite).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

fs::path cityscapes() { return fixtures_root() / "real/mmseg_tests/pseudo_cityscapes_dataset"; }

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

fs::path synth(const fs::path& dir) {
  auto r = run_segx({"-q", "convert", "synth", "--images", "2", "--out-dir", (dir / "d").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / "d";
}

TEST(ConvertOptions, CityscapesOutputIsTheFileOfEitherTarget) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("convert_opt_city");
  // --to manifest: -o is the manifest.
  auto r = run_segx({"convert", "cityscapes", cityscapes().string(), "-o", (dir / "m.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(read_file(dir / "m.jsonl"), "\"type\":\"header\""));
  // --to coco-panoptic: -o is the COCO panoptic JSON, --out-dir its PNGs.
  r = run_segx({"convert", "cityscapes", cityscapes().string(), "--to", "coco-panoptic", "-o",
                (dir / "p.json").string(), "--out-dir", (dir / "p").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(read_file(dir / "p.json"), "\"annotations\""));
  EXPECT_TRUE(fs::exists(dir / "p/frankfurt_000000_000294_gtFine_panoptic.png"));
  EXPECT_EQ(r.err, "");
  // The old --out-json still works, with one warning naming the new option.
  r = run_segx({"convert", "cityscapes", cityscapes().string(), "--to", "coco-panoptic",
                "--out-json", (dir / "q.json").string(), "--out-dir", (dir / "q").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "--out-json is deprecated, use --output; it will be removed in 0.2.0"))
      << r.err;
  EXPECT_TRUE(fs::exists(dir / "q.json"));
}

TEST(ConvertOptions, CityscapesRefusesWhatItWouldIgnore) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("convert_opt_city_refuse");
  auto root = cityscapes().string();
  auto r = run_segx({"convert", "cityscapes", root, "-o", (dir / "m.jsonl").string(), "--out-dir",
                     (dir / "x").string()});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "--out-dir is for --to coco-panoptic")) << r.err;
  r = run_segx({"convert", "cityscapes", root, "-o", (dir / "m.jsonl").string(), "--overwrite"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "--overwrite is for --to coco-panoptic")) << r.err;
  r = run_segx({"convert", "cityscapes", root, "--to", "coco-panoptic", "--out-dir",
                (dir / "y").string()});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "needs -o FILE")) << r.err;
  // Both spellings of one option: refused, not silently resolved.
  r = run_segx({"convert", "cityscapes", root, "--to", "coco-panoptic", "-o",
                (dir / "a.json").string(), "--out-json", (dir / "b.json").string(), "--out-dir",
                (dir / "z").string()});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "--out-json: give --output only")) << r.err;
  for (const char* name : {"m.jsonl", "x", "y", "z", "a.json", "b.json"})
    EXPECT_FALSE(fs::exists(dir / name)) << name;
}

TEST(ConvertOptions, SynthOutDirAndItsOldSpelling) {
  auto dir = temp_dir("convert_opt_synth");
  auto r = run_segx({"convert", "synth", "--images", "2", "--out", (dir / "old").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "--out is deprecated, use --out-dir")) << r.err;
  EXPECT_TRUE(fs::exists(dir / "old/manifest.jsonl"));
  r = run_segx({"-q", "convert", "synth", "--images", "2", "--out", (dir / "quiet").string()});
  EXPECT_EQ(r.err, "");  // -q silences the warning too
  r = run_segx({"convert", "synth", "--images", "2"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "--out-dir is required")) << r.err;
}

TEST(ConvertOptions, SchemeIsSpelledPanopticFpnEverywhere) {
  auto dir = temp_dir("convert_opt_scheme");
  auto d = synth(dir);
  auto pan = (d / "panoptic_gt.json").string();
  auto r = run_segx({"convert", "panoptic2semantic", pan, "--scheme", "panoptic-fpn", "--out-dir",
                     (dir / "sem").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = run_segx({"convert", "semantic-folder", "--images", (d / "images").string(), "--labels",
                (dir / "sem").string(), "--categories", (d / "categories.json").string(),
                "--scheme", "panoptic-fpn", "-o", (dir / "m.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The manifest keeps the format's own spelling (segx-manifest(5)), which eval miou reads.
  EXPECT_TRUE(has(read_file(dir / "m.jsonl"), "\"semantic_ids\":\"panoptic_fpn\""));
  r = run_segx({"convert", "semantic-folder", "--images", (d / "images").string(), "--labels",
                (dir / "sem").string(), "--categories", (d / "categories.json").string(),
                "--scheme", "panoptic_fpn", "-o", (dir / "old.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "--scheme panoptic_fpn is deprecated, use --scheme panoptic-fpn; it "
                         "will be removed in 0.2.0"))
      << r.err;
  EXPECT_EQ(read_file(dir / "old.jsonl"), read_file(dir / "m.jsonl"));
  r = run_segx({"convert", "panoptic2semantic", pan, "--scheme", "panoptic_fpn", "--out-dir",
                (dir / "sem_old").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "--scheme panoptic_fpn is deprecated")) << r.err;
}

TEST(ConvertOptions, NamedFileIsReplacedNonEmptyFolderNeedsOverwrite) {
  auto dir = temp_dir("convert_opt_overwrite");
  auto d = synth(dir);
  auto manifest = (d / "manifest.jsonl").string();
  // -o FILE names the file: an old one is replaced.
  write_file(dir / "p.json", "old");
  auto r = run_segx({"-q", "convert", "manifest2panoptic", manifest, "-o", (dir / "p.json").string(),
                     "--out-dir", (dir / "p").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(read_file(dir / "p.json"), "\"annotations\""));
  // A non-empty folder: exit 73, and neither the folder's files nor the named file change.
  write_file(dir / "q.json", "keep");
  fs::create_directories(dir / "q");
  write_file(dir / "q/mine.txt", "mine");
  r = run_segx({"convert", "manifest2panoptic", manifest, "-o", (dir / "q.json").string(),
                "--out-dir", (dir / "q").string()});
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_EQ(read_file(dir / "q.json"), "keep");
  EXPECT_EQ(read_file(dir / "q/mine.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "q"), fs::directory_iterator()), 1);
  // With --overwrite it writes into the folder and keeps what the user did not name.
  r = run_segx({"-q", "convert", "manifest2panoptic", manifest, "-o", (dir / "q.json").string(),
                "--out-dir", (dir / "q").string(), "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "q/mine.txt"), "mine");
  EXPECT_TRUE(has(read_file(dir / "q.json"), "\"annotations\""));
  // convert synth follows the same rule.
  r = run_segx({"convert", "synth", "--images", "2", "--out-dir", (dir / "q").string()});
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_EQ(read_file(dir / "q/mine.txt"), "mine");
}

}  // namespace
}  // namespace segx::test
