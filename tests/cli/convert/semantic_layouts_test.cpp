// `segx convert ade20k` and `segx convert semantic-folder` on generated folders: every manifest
// line equals the record worked out here from the files written (sizes, relative paths, sorted
// order, header fields), other splits and non-images are left out, and bad layouts leave no file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> lines_of(const fs::path& path) {
  std::vector<json> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// A w x h photo and a label PNG of the same size whose values cycle through `values`.
void write_pair(const fs::path& image, const fs::path& label, int w, int h,
                const std::vector<int>& values) {
  fs::create_directories(image.parent_path());
  fs::create_directories(label.parent_path());
  cv::Mat3b photo(h, w, cv::Vec3b(20, 120, 220));
  cv::imwrite(image.string(), photo);
  cv::Mat1b labels(h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) labels(y, x) = std::uint8_t(values[(x + y) % values.size()]);
  cv::imwrite(label.string(), labels);
}

json image_record(const std::string& id, const std::string& file, int w, int h,
                  const std::string& label) {
  return {{"type", "image"}, {"image_id", id}, {"file_name", file},
          {"height", h},     {"width", w},     {"sem_seg_file_name", label}};
}

TEST(SemanticLayouts, Ade20kValidationSplit) {
  auto dir = temp_dir("layout_ade");
  const fs::path root = dir / "ADEChallengeData2016";
  // Written out of order; the manifest lists them sorted by name.
  write_pair(root / "images/validation/ADE_val_00000002.jpg",
             root / "annotations/validation/ADE_val_00000002.png", 50, 20, {0, 1, 150});
  write_pair(root / "images/validation/ADE_val_00000001.jpg",
             root / "annotations/validation/ADE_val_00000001.png", 40, 30, {3, 0});
  write_pair(root / "images/training/ADE_train_00000001.jpg",
             root / "annotations/training/ADE_train_00000001.png", 10, 10, {1});
  std::ofstream((root / "images/validation/notes.txt").string()) << "not an image\n";

  auto r = run_segx({"convert", "ade20k", root.string(), "-o", (dir / "val.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(dir / "val.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  const json& h = lines[0];
  EXPECT_EQ(h["type"], "header");
  EXPECT_EQ(h["segx_manifest"], 1);
  EXPECT_EQ(h["dataset"], "ade20k_validation");
  EXPECT_EQ(h["semantic_ids"], "category");
  EXPECT_EQ(fs::path(h["root"].get<std::string>()), fs::absolute(root).lexically_normal());
  EXPECT_FALSE(h.contains("reduce_zero_label"));
  ASSERT_EQ(h["categories"].size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(h["categories"][i]["id"], i + 1);
    EXPECT_EQ(h["categories"][i]["isthing"], 0);
  }
  // detectron2's ADE20K_SEM_SEG_CATEGORIES starts with "wall" and ends with "flag".
  EXPECT_EQ(h["categories"][0]["name"], "wall");
  EXPECT_EQ(h["categories"][149]["name"], "flag");
  EXPECT_EQ(lines[1], image_record("ADE_val_00000001", "images/validation/ADE_val_00000001.jpg", 40,
                                   30, "annotations/validation/ADE_val_00000001.png"));
  EXPECT_EQ(lines[2], image_record("ADE_val_00000002", "images/validation/ADE_val_00000002.jpg", 50,
                                   20, "annotations/validation/ADE_val_00000002.png"));

  r = run_segx({"convert", "ade20k", root.string(), "--split", "training", "--reduce-zero-label",
                "-o", (dir / "train.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  lines = lines_of(dir / "train.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["dataset"], "ade20k_training");
  EXPECT_EQ(lines[0]["reduce_zero_label"], true);
  EXPECT_EQ(lines[1], image_record("ADE_train_00000001", "images/training/ADE_train_00000001.jpg",
                                   10, 10, "annotations/training/ADE_train_00000001.png"));

  // The manifest is what `segx eval miou` reads: against itself, every present class is exact.
  r = run_segx({"eval", "miou", "-q", "--json", "-", "--gt-manifest", (dir / "val.jsonl").string(),
                "--pred-manifest", (dir / "val.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["mIoU"].get<double>(), 1.0);

  // A label missing: 66 naming it, and no manifest.
  fs::remove(root / "annotations/validation/ADE_val_00000002.png");
  r = run_segx({"convert", "ade20k", root.string(), "-o", (dir / "bad.jsonl").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("ADE_val_00000002.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "bad.jsonl"));
  // No such split: 66.
  r = run_segx(
      {"convert", "ade20k", root.string(), "--split", "test", "-o", (dir / "none.jsonl").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_FALSE(fs::exists(dir / "none.jsonl"));
}

TEST(SemanticLayouts, SemanticFolderWithContiguousIds) {
  auto dir = temp_dir("layout_folder");
  write_pair(dir / "set/photos/b.jpg", dir / "set/labels/b.png", 16, 12, {0, 1, 255});
  write_pair(dir / "set/photos/a.png", dir / "set/labels/a.png", 8, 24, {1});
  std::ofstream((dir / "cats.json").string())
      << R"([{"id": 7, "name": "road", "isthing": 0}, {"id": 9, "name": "car", "isthing": 1}])";
  auto r =
      run_segx({"convert", "semantic-folder", "--images", (dir / "set/photos").string(), "--labels",
                (dir / "set/labels").string(), "--categories", (dir / "cats.json").string(),
                "--scheme", "contiguous", "--name", "mine", "-o", (dir / "m.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(dir / "m.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["dataset"], "mine");
  EXPECT_EQ(lines[0]["semantic_ids"], "contiguous");
  EXPECT_EQ(fs::path(lines[0]["root"].get<std::string>()),
            fs::absolute(dir / "set").lexically_normal());
  ASSERT_EQ(lines[0]["categories"].size(), 2u);
  EXPECT_EQ(lines[0]["categories"][0]["id"], 7);
  EXPECT_EQ(lines[0]["categories"][1]["name"], "car");
  EXPECT_EQ(lines[0]["categories"][1]["isthing"], 1);
  EXPECT_EQ(lines[1], image_record("a", "photos/a.png", 8, 24, "labels/a.png"));
  EXPECT_EQ(lines[2], image_record("b", "photos/b.jpg", 16, 12, "labels/b.png"));

  // An image without label: 66, no manifest.
  write_pair(dir / "set/photos/c.jpg", dir / "elsewhere/c.png", 4, 4, {0});
  r = run_segx({"convert", "semantic-folder", "--images", (dir / "set/photos").string(), "--labels",
                (dir / "set/labels").string(), "--categories", (dir / "cats.json").string(), "-o",
                (dir / "bad.jsonl").string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("c.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "bad.jsonl"));
}

}  // namespace
}  // namespace segx::test
