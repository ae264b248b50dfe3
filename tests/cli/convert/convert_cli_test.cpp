// `segx convert` as users run it: stdout/"-", exit codes, one-line errors naming the file, and no
// partial output after a failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// A copy of panopticapi's sample that a test may damage.
fs::path sample_copy(const std::string& tag) {
  fs::path dir = temp_dir(tag);
  fs::path src = fixtures_root() / "real/panopticapi_sample";
  fs::copy_file(src / "panoptic_examples.json", dir / "pan.json");
  fs::create_directories(dir / "pan");
  for (const auto& e : fs::directory_iterator(src / "panoptic_examples")) fs::copy_file(e.path(), dir / "pan" / e.path().filename());
  return dir;
}

// A tiny instances JSON: one 4x3 image, two annotations whose RLEs overlap in one pixel.
std::string two_instances(const std::string& second_counts) {
  return R"({"images":[{"id":1,"width":4,"height":3,"file_name":"a.jpg"}],
  "categories":[{"id":5,"name":"cat"}],
  "annotations":[
   {"id":1,"image_id":1,"category_id":5,"iscrowd":0,"segmentation":{"size":[3,4],"counts":[0,3,9]}},
   {"id":2,"image_id":1,"category_id":5,"iscrowd":0,"segmentation":{"size":[3,4],"counts":)" + second_counts + "}}]}";
}

}  // namespace

TEST(ConvertCli, SynthThenLintIsClean) {
  fs::path dir = temp_dir("cli_synth");
  auto r = run_segx({"-q", "convert", "synth", "--images", "3", "--predictions", "--out-dir", (dir / "d").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"panoptic_gt.json", "panoptic_pred.json", "manifest.jsonl", "categories.json", "images/000000000001.jpg"})
    EXPECT_TRUE(fs::exists(dir / "d" / f)) << f;
  r = run_segx({"convert", "lint", (dir / "d/panoptic_gt.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 findings"), std::string::npos);
  // The manifest read from stdin ("-"), its paths resolved from the working directory.
  r = run_segx({"convert", "lint", "-"}, read_file(dir / "d/manifest.jsonl"), dir / "d");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Same seed, same data; a non-empty output folder is refused (73) without --overwrite.
  r = run_segx({"-q", "convert", "synth", "--images", "3", "--predictions", "--out-dir", (dir / "d").string()});
  EXPECT_EQ(r.exit_code, 73) << r.err;
  r = run_segx({"-q", "convert", "synth", "--images", "3", "--predictions", "--out-dir", (dir / "e").string()});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(read_file(dir / "d/panoptic_pred.json"), read_file(dir / "e/panoptic_pred.json"));
}

TEST(ConvertCli, InstancesToStdout) {
  SEGX_REQUIRE_FIXTURES();
  fs::path dir = sample_copy("cli_stdout");
  auto r = run_segx({"-q", "convert", "panoptic2instances", (dir / "pan.json").string(), "--id-start", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\"info\"", 0), 0u);
  EXPECT_NE(r.out.find("\"counts\""), std::string::npos);
  EXPECT_EQ(r.out.find("\"id\":0}"), std::string::npos);  // numbered from 1
}

TEST(ConvertCli, TruncatedPngFailsWithoutOutput) {
  SEGX_REQUIRE_FIXTURES();
  fs::path dir = sample_copy("cli_truncated");
  fs::path png = dir / "pan/000000439180.png";
  std::string bytes = read_file(png);
  write(png, bytes.substr(0, bytes.size() / 2));
  auto r = run_segx({"-q", "convert", "panoptic2instances", (dir / "pan.json").string(), "-o", (dir / "out.json").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("000000439180.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out.json"));
  r = run_segx({"-q", "convert", "panoptic2semantic", (dir / "pan.json").string(), "--out-dir", (dir / "sem").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_TRUE(!fs::exists(dir / "sem") || fs::is_empty(dir / "sem"));
  r = run_segx({"convert", "lint", (dir / "pan.json").string(), "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"unreadable_png\""), std::string::npos) << r.out;
}

TEST(ConvertCli, JsonSyntaxErrorHasLineAndColumn) {
  fs::path dir = temp_dir("cli_json");
  write(dir / "bad.json", "{\"annotations\": [\n  {\"image_id\": 1,,}\n]}");
  auto r = run_segx({"convert", "panoptic2instances", (dir / "bad.json").string(), "-o", (dir / "out.json").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("bad.json': line 2, column"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out.json"));
}

TEST(ConvertCli, MissingFilesExit66) {
  fs::path dir = temp_dir("cli_missing");
  auto r = run_segx({"convert", "panoptic2instances", (dir / "nope.json").string()});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("cannot open '"), std::string::npos) << r.err;
  SEGX_REQUIRE_FIXTURES();
  fs::path copy = sample_copy("cli_missing_png");
  fs::remove(copy / "pan/000000142238.png");
  r = run_segx({"-q", "convert", "panoptic2instances", (copy / "pan.json").string(), "-o", (copy / "o.json").string()});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("000000142238.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(copy / "o.json"));
}

TEST(ConvertCli, LintFindsIdMismatchesAndUnknownCategories) {
  SEGX_REQUIRE_FIXTURES();
  fs::path dir = sample_copy("cli_lint");
  std::string json = read_file(dir / "pan.json");
  // Drop the first segment of the first image (its pixels lose their entry) and give another an
  // unknown category.
  const std::string id = "\"id\": 3937500", cat = "\"category_id\": 1,";
  auto pos = json.find(id);
  ASSERT_NE(pos, std::string::npos);
  json.replace(pos, id.size(), "\"id\": 3937501");
  pos = json.find(cat);
  ASSERT_NE(pos, std::string::npos);
  json.replace(pos, cat.size(), "\"category_id\": 999,");
  write(dir / "pan.json", json);
  auto r = run_segx({"-q", "convert", "lint", (dir / "pan.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  for (const char* check : {"id_not_in_json", "id_not_in_png", "unknown_category"})
    EXPECT_NE(r.out.find(check), std::string::npos) << check << "\n" << r.out;
  r = run_segx({"-q", "convert", "panoptic2semantic", (dir / "pan.json").string(), "--scheme", "contiguous",
                "--out-dir", (dir / "sem").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("unknown category 999"), std::string::npos) << r.err;
}

TEST(ConvertCli, InstancesToPanopticOverlapPolicies) {
  fs::path dir = temp_dir("cli_overlap");
  // Second mask: column-major runs 2 off, 2 on -> pixels 2,3 (pixel 2 is shared with the first).
  write(dir / "inst.json", two_instances("[2,2,8]"));
  auto run = [&](const std::string& policy, const std::string& out) {
    return run_segx({"-q", "convert", "instances2panoptic", (dir / "inst.json").string(), "--overlap", policy,
                     "-o", (dir / (out + ".json")).string(), "--out-dir", (dir / out).string()});
  };
  auto r = run("error", "e");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("annotation 2 overlaps annotation 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "e.json"));
  r = run("skip", "s");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string s = read_file(dir / "s.json");
  EXPECT_NE(s.find("\"area\":3"), std::string::npos) << s;
  EXPECT_NE(s.find("\"area\":1"), std::string::npos) << s;
  r = run("smaller", "m");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string m = read_file(dir / "m.json");
  EXPECT_NE(m.find("\"area\":2"), std::string::npos) << m;
  // An RLE that does not cover 4x3 pixels.
  write(dir / "short.json", two_instances("[2,2,3]"));
  r = run_segx({"-q", "convert", "instances2panoptic", (dir / "short.json").string(), "--overlap", "skip",
                "-o", (dir / "x.json").string(), "--out-dir", (dir / "x").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("wrong length"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("short.json"), std::string::npos) << r.err;
}

TEST(ConvertCli, ManifestRoundTripAndUnknownCategory) {
  fs::path dir = temp_dir("cli_manifest");
  auto r = run_segx({"-q", "convert", "synth", "--images", "2", "--no-images", "--out-dir", (dir / "d").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"-q", "convert", "manifest2panoptic", "-", "-o", (dir / "p.json").string(), "--out-dir", (dir / "p").string()},
               read_file(dir / "d/manifest.jsonl"), dir / "d");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"convert", "lint", (dir / "p.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::string m = read_file(dir / "d/manifest.jsonl");
  auto pos = m.find("\"category_id\":", m.find('\n'));
  m.replace(pos, 14, "\"category_id\":7777,\"x\":");
  r = run_segx({"-q", "convert", "manifest2panoptic", "-", "-o", (dir / "q.json").string(), "--out-dir", (dir / "q").string()},
               m, dir / "d");
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("line 2: category 7777"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "q.json"));
}

}  // namespace segx::test
