// `segx visualize` options: --semantic honours --image-id, sheet refuses --format/--overwrite
// (one picture, named by -o), --out-dir names the folder (-o DIR still works, with a warning),
// and the overwrite rule.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

std::size_t entries(const fs::path& dir) {
  return std::size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

struct Data {
  fs::path dir, d;
  std::vector<std::string> panoptic() const {
    return {"--coco-panoptic", (d / "panoptic_gt.json").string(), "--images",
            (d / "images").string()};
  }
};

Data make_data(const std::string& tag) {
  Data data{temp_dir(tag), {}};
  data.d = data.dir / "d";
  auto r = run_segx({"-q", "convert", "synth", "--images", "3", "--width", "64", "--height", "48",
                     "--out-dir", data.d.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return data;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(VisualizeOptions, SemanticHonoursImageId) {
  auto data = make_data("viz_opt_semantic");
  auto r = run_segx({"-q", "convert", "panoptic2semantic", (data.d / "panoptic_gt.json").string(),
                     "--out-dir", (data.dir / "sem").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> base = {"-q", "visualize", "overlay", "--semantic",
                                   (data.dir / "sem").string(), "--categories",
                                   (data.d / "categories.json").string(), "--images",
                                   (data.d / "images").string()};
  r = run_segx(with(base, {"--image-id", "000000000002", "--out-dir", (data.dir / "one").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(data.dir / "one"), 1u);
  EXPECT_TRUE(fs::exists(data.dir / "one/000000000002.png"));
  // One selected image can go to a file; an unknown id is refused.
  r = run_segx(with(base, {"--image-id", "000000000003", "-o", (data.dir / "3.png").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx(with(base, {"--image-id", "nope", "-o", (data.dir / "x.png").string()}));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_FALSE(fs::exists(data.dir / "x.png"));
}

TEST(VisualizeOptions, SheetRefusesFormatAndOverwrite) {
  auto data = make_data("viz_opt_sheet");
  auto sheet = with({"visualize", "sheet"}, data.panoptic());
  const auto out = (data.dir / "s.png").string();
  for (const auto& extra : std::vector<std::vector<std::string>>{{"--format", "jpg"},
                                                                 {"--overwrite"}}) {
    auto r = run_segx(with(sheet, with({"-o", out}, extra)));
    EXPECT_EQ(r.exit_code, 64) << extra[0];
    EXPECT_TRUE(has(r.err, extra[0] + ": a sheet is one picture")) << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
  // -o names the sheet: its extension is the format, and an old file is replaced.
  std::ofstream(out) << "old";
  auto r = run_segx(with(sheet, {"-q", "-o", out}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(out).substr(1, 3), "PNG");
  r = run_segx(with(sheet, {"-q", "-o", (data.dir / "s.jpg").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(static_cast<unsigned char>(read_file(data.dir / "s.jpg")[0]), 0xFF);
}

TEST(VisualizeOptions, OutDirAndTheOldDashOFolder) {
  auto data = make_data("viz_opt_outdir");
  auto overlay = with({"visualize", "overlay"}, data.panoptic());
  auto r = run_segx(with(overlay, {"-q", "--out-dir", (data.dir / "a").string(), "--format", "jpg"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(data.dir / "a"), 3u);
  EXPECT_TRUE(fs::exists(data.dir / "a/1.jpg"));
  // -o DIR (no picture extension) still fills a folder, with a warning.
  r = run_segx(with(overlay, {"-o", (data.dir / "b").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "-o DIR (a folder) is deprecated, use --out-dir DIR; it will be removed "
                         "in 0.2.0"))
      << r.err;
  EXPECT_EQ(entries(data.dir / "b"), 3u);
  // --format and --overwrite belong to folders: refused with -o FILE.
  r = run_segx(with(overlay, {"--image-id", "1", "-o", (data.dir / "c.png").string(), "--format",
                              "jpg"}));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "--format is for --out-dir")) << r.err;
  r = run_segx(with(overlay, {"--image-id", "1", "-o", (data.dir / "c.png").string(),
                              "--overwrite"}));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_FALSE(fs::exists(data.dir / "c.png"));
  r = run_segx(overlay);
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(has(r.err, "give --out-dir DIR, or -o FILE")) << r.err;
}

TEST(VisualizeOptions, NonEmptyFolderNeedsOverwriteAndKeepsOtherFiles) {
  auto data = make_data("viz_opt_overwrite");
  auto overlay = with({"-q", "visualize", "overlay"}, data.panoptic());
  fs::create_directories(data.dir / "o");
  std::ofstream(data.dir / "o/notes.txt") << "mine";
  auto r = run_segx(with(overlay, {"--out-dir", (data.dir / "o").string()}));
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_EQ(entries(data.dir / "o"), 1u);
  r = run_segx(with(overlay, {"--out-dir", (data.dir / "o").string(), "--overwrite"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(data.dir / "o"), 4u);
  EXPECT_EQ(read_file(data.dir / "o/notes.txt"), "mine");
}

}  // namespace
}  // namespace segx::test
