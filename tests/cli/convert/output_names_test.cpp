// Output file names that come from input records: a name that would leave the output folder is
// refused (exit 65) and so are two records that would write one file; nothing is written, inside
// the folder or outside it. (segx infer's own test is in tests/cli/infer.)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A small `segx convert synth` set in its own folder: panoptic_gt.json + PNGs, manifest.jsonl.
fs::path synth_set(const std::string& tag) {
  const auto dir = temp_dir(tag) / "set";
  auto r = run_segx({"convert", "synth", "--images", "3", "--width", "64", "--height", "48",
                     "--out-dir", dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

void write_json(const fs::path& path, const json& j) {
  std::ofstream(path) << j.dump();
}

std::vector<json> read_lines(const fs::path& path) {
  std::vector<json> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

void write_lines(const fs::path& path, const std::vector<json>& records) {
  std::ofstream out(path);
  for (const auto& r : records) out << r.dump() << '\n';
}

// Exit 65 with `says` in the one-line message; neither `out` nor `outside` exists afterwards.
void expect_refused(const CliResult& r, const std::string& says, const fs::path& out,
                    const fs::path& outside = {}) {
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << out;
  if (!outside.empty()) {
    EXPECT_FALSE(fs::exists(outside)) << outside;
  }
}

TEST(OutputNames, Panoptic2SemanticRefusesFileNamesThatLeaveTheFolder) {
  const auto set = synth_set("names_p2s");
  const auto gt = json::parse(read_file(set / "panoptic_gt.json"));
  const auto out = set.parent_path() / "semantic";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../escape.png", "'../escape.png' has a '..' part"},
      {(set.parent_path() / "abs.png").string(), "is an absolute path"},
  };
  for (const auto& [name, says] : cases) {
    auto j = gt;
    j["annotations"][0]["file_name"] = name;
    write_json(set / "bad.json", j);
    auto r = run_segx({"convert", "panoptic2semantic", (set / "bad.json").string(), "--png-dir",
                       (set / "panoptic_gt").string(), "--out-dir", out.string()});
    expect_refused(r, says, out, set.parent_path() / "escape.png");
    EXPECT_FALSE(fs::exists(set.parent_path() / "abs.png"));
  }
  auto j = gt;
  j["annotations"][1]["file_name"] = j["annotations"][0]["file_name"];
  write_json(set / "twice.json", j);
  auto r = run_segx({"convert", "panoptic2semantic", (set / "twice.json").string(), "--png-dir",
                     (set / "panoptic_gt").string(), "--out-dir", out.string()});
  expect_refused(r, "would both write", out);
}

TEST(OutputNames, Manifest2PanopticRefusesTwoRecordsOfOnePngName) {
  const auto set = synth_set("names_m2p");
  auto records = read_lines(set / "manifest.jsonl");
  ASSERT_GE(records.size(), 3u);
  // Record 2's PNG, copied into another folder under record 1's name.
  fs::create_directories(set / "other");
  const auto first = fs::path(records[1]["pan_seg_file_name"].get<std::string>()).filename();
  fs::copy_file(set / records[2]["pan_seg_file_name"].get<std::string>(), set / "other" / first);
  records[2]["pan_seg_file_name"] = "other/" + first.string();
  write_lines(set / "twice.jsonl", records);
  const auto out = set.parent_path() / "pan";
  auto r = run_segx({"convert", "manifest2panoptic", (set / "twice.jsonl").string(), "-o",
                     (set.parent_path() / "pan.json").string(), "--out-dir", out.string()});
  expect_refused(r, "would both write '" + first.string() + "'", out,
                 set.parent_path() / "pan.json");
}

TEST(OutputNames, Instances2PanopticRefusesTwoImagesOfOneFileName) {
  const auto set = synth_set("names_i2p");
  const auto inst = set.parent_path() / "inst.json";
  auto r = run_segx(
      {"convert", "panoptic2instances", (set / "panoptic_gt.json").string(), "-o", inst.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(read_file(inst));
  j["images"][0]["file_name"] = "cam0/x.jpg";
  j["images"][1]["file_name"] = "cam1/x.jpg";
  write_json(inst, j);
  const auto out = set.parent_path() / "pan";
  r = run_segx({"convert", "instances2panoptic", inst.string(), "--overlap", "skip", "-o",
                (set.parent_path() / "pan.json").string(), "--out-dir", out.string()});
  expect_refused(r, "would both write 'x.png'", out, set.parent_path() / "pan.json");
}

TEST(OutputNames, VisualizeRefusesImageIdsThatLeaveTheFolder) {
  const auto set = synth_set("names_viz");
  auto records = read_lines(set / "manifest.jsonl");
  records[1]["image_id"] = "../../escape";
  write_lines(set / "bad.jsonl", records);
  const auto out = set.parent_path() / "pictures";
  auto r = run_segx({"visualize", "overlay", "--manifest", (set / "bad.jsonl").string(),
                     "--out-dir", out.string()});
  expect_refused(r, "'../../escape.png' has a '..' part", out,
                 set.parent_path().parent_path() / "escape.png");

  records = read_lines(set / "manifest.jsonl");
  records[2]["image_id"] = records[1]["image_id"];
  write_lines(set / "twice.jsonl", records);
  r = run_segx({"visualize", "overlay", "--manifest", (set / "twice.jsonl").string(), "--out-dir",
                out.string()});
  expect_refused(r, "would both write", out);
}

}  // namespace
}  // namespace segx::test
