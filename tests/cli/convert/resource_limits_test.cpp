// Resource limits through the command line: an image, mask or JSON that declares more than the
// limit is refused (exit 65, one line naming the file) before it is allocated; the limits come
// from --max-pixels / --max-json-bytes or SEGX_MAX_PIXELS / SEGX_MAX_JSON_BYTES.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path synth_set(const std::string& tag) {
  const auto dir = temp_dir(tag) / "set";
  auto r = run_segx({"convert", "synth", "--images", "2", "--width", "64", "--height", "48",
                     "--out-dir", dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string be32(std::uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string chunk(const std::string& type, const std::string& data) {
  return be32(std::uint32_t(data.size())) + type + data + be32(crc32(type + data));
}

// A PNG whose header declares width x height RGB pixels and that holds no image data.
std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IEND", "");
}

void expect_over_limit(const CliResult& r, const std::string& file, const fs::path& out) {
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("over the limit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(ResourceLimits, APngDeclaringAHugeImageIsRefusedBeforeDecoding) {
  const auto set = synth_set("limits_png");
  const auto png = set / "panoptic_gt" / "000000000001.png";
  std::ofstream(png, std::ios::binary) << png_declaring(1u << 24, 1u << 24);
  const auto out = set.parent_path() / "sem";
  auto r = run_segx({"convert", "panoptic2semantic", (set / "panoptic_gt.json").string(),
                     "--out-dir", out.string()});
  expect_over_limit(r, "000000000001.png", out);
  EXPECT_NE(r.err.find("16777216x16777216"), std::string::npos) << r.err;
}

TEST(ResourceLimits, TheLimitIsAGlobalOptionOrAnEnvironmentVariable) {
  const auto set = synth_set("limits_option");
  const auto out = set.parent_path() / "sem";
  const std::vector<std::string> job = {"convert", "panoptic2semantic",
                                        (set / "panoptic_gt.json").string(), "--out-dir",
                                        out.string()};
  std::vector<std::string> args = {"--max-pixels", "3000"};  // the images have 64 x 48 = 3072
  args.insert(args.end(), job.begin(), job.end());
  expect_over_limit(run_segx(args), ".png", out);
  args[1] = "3072";
  EXPECT_EQ(run_segx(args).exit_code, 0);
  fs::remove_all(out);

  setenv("SEGX_MAX_PIXELS", "3071", 1);
  expect_over_limit(run_segx(job), ".png", out);
  setenv("SEGX_MAX_PIXELS", "lots", 1);
  auto r = run_segx(job);
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_NE(r.err.find("SEGX_MAX_PIXELS='lots'"), std::string::npos) << r.err;
  unsetenv("SEGX_MAX_PIXELS");
}

TEST(ResourceLimits, AnRleDeclaringAHugeMaskIsRefused) {
  const auto dir = temp_dir("limits_rle");
  std::ofstream(dir / "inst.json")
      << R"({"images":[{"id":1,"width":100000,"height":100000,"file_name":"a.jpg"}],
    "categories":[{"id":5,"name":"cat"}],
    "annotations":[{"id":1,"image_id":1,"category_id":5,"iscrowd":0,
      "segmentation":{"size":[100000,100000],"counts":[10000000000]}}]})";
  const auto out = dir / "pan";
  auto r = run_segx({"convert", "instances2panoptic", (dir / "inst.json").string(), "-o",
                     (dir / "pan.json").string(), "--out-dir", out.string()});
  expect_over_limit(r, "inst.json", out);
}

TEST(ResourceLimits, JsonFilesAndManifestLinesOverTheLimitAreRefused) {
  const auto set = synth_set("limits_json");
  const auto out = set.parent_path() / "sem";
  auto r = run_segx({"--max-json-bytes", "100", "convert", "panoptic2semantic",
                     (set / "panoptic_gt.json").string(), "--out-dir", out.string()});
  expect_over_limit(r, "panoptic_gt.json", out);
  // The same file on stdin, read as a pipe.
  r = run_segx({"--max-json-bytes", "100", "convert", "panoptic2instances", "-"},
               read_file(set / "panoptic_gt.json"));
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("<stdin>"), std::string::npos) << r.err;
  // A manifest is read a line at a time: its first line is over 300 bytes.
  r = run_segx({"--max-json-bytes", "300", "convert", "manifest2panoptic",
                (set / "manifest.jsonl").string(), "-o", (set.parent_path() / "p.json").string(),
                "--out-dir", (set.parent_path() / "p").string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("manifest.jsonl' line 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(set.parent_path() / "p.json"));
}

}  // namespace
}  // namespace segx::test
