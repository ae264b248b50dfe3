// `segx convert derive` on a synthetic panoptic set, checked against what the test computes
// itself from the input's panoptic PNGs (read with OpenCV) and segments_info: semantic label
// values, boxes, instance masks (decoded here), kept and renamed classes, slices, stdin/stdout;
// and every bad input with its exit code, one line on stderr and nothing written.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// The synthetic set every test derives from (6 images, 128x96).
const fs::path& synth_dir() {
  static const fs::path dir = [] {
    const fs::path d = temp_dir("derive_cli_synth") / "synth";
    auto r = run_segx({"-q", "convert", "synth", "--images", "6", "--width", "128", "--height",
                       "96", "--out-dir", d.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return d;
  }();
  return dir;
}

std::string input() {
  return (synth_dir() / "manifest.jsonl").string();
}

std::vector<json> read_manifest(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

std::vector<json> parse_manifest(const std::string& text) {
  std::istringstream in(text);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// A record's path, resolved as a manifest resolves it: against the manifest's folder.
fs::path resolve(const fs::path& manifest, const json& path) {
  const fs::path p = path.get<std::string>();
  return p.is_absolute() ? p : manifest.parent_path() / p;
}

// Segment ids per pixel (R + 256 G + 256^2 B), row-major.
std::vector<uint32_t> panoptic_ids(const fs::path& png) {
  const cv::Mat m = cv::imread(png.string(), cv::IMREAD_COLOR);  // BGR
  EXPECT_FALSE(m.empty()) << png;
  std::vector<uint32_t> ids;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) {
      const auto& p = m.at<cv::Vec3b>(y, x);
      ids.push_back(uint32_t(p[2]) | uint32_t(p[1]) << 8 | uint32_t(p[0]) << 16);
    }
  return ids;
}

std::vector<uint32_t> label_values(const fs::path& png) {
  const cv::Mat m = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(m.channels(), 1) << png;
  std::vector<uint32_t> v;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      v.push_back(m.depth() == CV_16U ? m.at<uint16_t>(y, x) : m.at<uint8_t>(y, x));
  return v;
}

// pycocotools' rleFrString and rleDecode: a compressed RLE to a row-major 0/1 mask.
std::vector<uint8_t> decode_rle(const json& segmentation) {
  const int h = segmentation["size"][0], w = segmentation["size"][1];
  const std::string s = segmentation["counts"];
  std::vector<int64_t> counts;
  for (std::size_t p = 0; p < s.size();) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      const int64_t c = s[p++] - 48;
      x |= (c & 0x1f) << 5 * k;
      more = c & 0x20;
      ++k;
      if (!more && (c & 0x10)) x |= int64_t(~uint64_t(0) << 5 * k);  // sign extension
    }
    if (counts.size() > 2) x += counts[counts.size() - 2];
    counts.push_back(x);
  }
  std::vector<uint8_t> col_major;
  for (std::size_t i = 0; i < counts.size(); ++i)
    col_major.insert(col_major.end(), counts[i], i % 2);
  EXPECT_EQ(col_major.size(), std::size_t(h * w));
  std::vector<uint8_t> mask(std::size_t(h * w));
  for (int x = 0; x < w; ++x)
    for (int y = 0; y < h; ++y) mask[std::size_t(y * w + x)] = col_major[std::size_t(x * h + y)];
  return mask;
}

// The input records by image id, and the header's categories by id.
struct Input {
  json header;
  std::map<int64_t, json> records;
  std::map<int64_t, json> categories;
  bool isthing(int64_t id) const { return categories.at(id)["isthing"] == 1; }
};

const Input& input_data() {
  static const Input in = [] {
    Input out;
    const auto m = read_manifest(input());
    out.header = m[0];
    for (std::size_t i = 1; i < m.size(); ++i) out.records[m[i]["image_id"]] = m[i];
    for (const auto& c : out.header["categories"]) out.categories[c["id"]] = c;
    return out;
  }();
  return in;
}

// The category of each pixel, computed from the input's PNG and segments_info (0: void).
std::vector<uint32_t> expected_categories(const json& record) {
  std::map<uint32_t, uint32_t> category;
  for (const auto& s : record["segments_info"]) category[s["id"]] = s["category_id"];
  std::vector<uint32_t> out;
  for (uint32_t id : panoptic_ids(resolve(input(), record["pan_seg_file_name"])))
    out.push_back(id == 0 ? 0 : category.at(id));
  return out;
}

std::set<int64_t> header_ids(const json& header) {
  std::set<int64_t> ids;
  for (const auto& c : header["categories"]) ids.insert(c["id"].get<int64_t>());
  return ids;
}

void expect_one_line(const CliResult& r) {
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace

TEST(ConvertDeriveCli, SemanticPixelsAreTheCategoryOfTheirPanopticSegment) {
  const fs::path dir = temp_dir("derive_cli_semantic");
  const fs::path out = dir / "labels/sem.jsonl";
  fs::create_directories(out.parent_path());
  auto r = run_segx({"-q", "convert", "derive", input(), "--to", "semantic", "--out-dir",
                     (dir / "sem").string(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = read_manifest(out);
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0]["dataset"], "synth_semantic");
  EXPECT_EQ(m[0]["semantic_ids"], "category");
  EXPECT_EQ(m[0]["categories"], input_data().header["categories"]);
  for (std::size_t i = 1; i < m.size(); ++i) {
    const json& rec = m[i];
    EXPECT_FALSE(rec.contains("segments_info"));
    EXPECT_FALSE(rec.contains("pan_seg_file_name"));
    // Paths relative to the manifest's folder, as a reader resolves them.
    EXPECT_EQ(fs::path(rec["file_name"].get<std::string>()).is_relative(), true);
    EXPECT_TRUE(fs::exists(resolve(out, rec["file_name"]))) << rec["file_name"];
    const auto png = resolve(out, rec["sem_seg_file_name"]);
    EXPECT_EQ(fs::weakly_canonical(png).parent_path(), fs::weakly_canonical(dir / "sem"));
    const auto expected = expected_categories(input_data().records.at(rec["image_id"]));
    EXPECT_EQ(label_values(png), expected) << png;
  }
  // The derived set passes lint (its labels agree with the header).
  r = run_segx({"convert", "lint", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ConvertDeriveCli, BoxesAreTheThingSegmentsBoxes) {
  const fs::path dir = temp_dir("derive_cli_boxes");
  auto r = run_segx({"-q", "convert", "derive", input(), "--to", "boxes", "--name", "weak", "-o",
                     (dir / "boxes.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = read_manifest(dir / "boxes.jsonl");
  EXPECT_EQ(m[0]["dataset"], "weak");
  std::set<int64_t> things;
  for (const auto& [id, c] : input_data().categories)
    if (input_data().isthing(id)) things.insert(id);
  EXPECT_EQ(header_ids(m[0]), things);
  std::size_t boxes = 0;
  for (std::size_t i = 1; i < m.size(); ++i) {
    const json& in = input_data().records.at(m[i]["image_id"]);
    std::vector<json> expected;
    for (const auto& s : in["segments_info"])
      if (things.count(s["category_id"])) expected.push_back(s);
    const json& anns = m[i]["annotations"];
    ASSERT_EQ(anns.size(), expected.size());
    for (std::size_t k = 0; k < anns.size(); ++k) {
      EXPECT_EQ(anns[k]["bbox"], expected[k]["bbox"]);
      EXPECT_EQ(anns[k]["category_id"], expected[k]["category_id"]);
      EXPECT_EQ(anns[k]["iscrowd"], expected[k]["iscrowd"]);
      EXPECT_FALSE(anns[k].contains("segmentation"));
      EXPECT_EQ(anns[k]["id"], ++boxes);
    }
  }
  EXPECT_GT(boxes, 10u);
}

TEST(ConvertDeriveCli, InstanceMasksAreTheSegmentsPixels) {
  const fs::path dir = temp_dir("derive_cli_instances");
  auto r = run_segx({"-q", "convert", "derive", input(), "--to", "instances", "-o",
                     (dir / "inst.jsonl").string(), "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = read_manifest(dir / "inst.jsonl");
  EXPECT_EQ(m[0]["dataset"], "synth_instances");
  std::size_t checked = 0;
  for (std::size_t i = 1; i < m.size(); ++i) {
    const json& in = input_data().records.at(m[i]["image_id"]);
    const auto ids = panoptic_ids(resolve(input(), in["pan_seg_file_name"]));
    std::size_t k = 0;
    for (const auto& s : in["segments_info"]) {
      if (!input_data().isthing(s["category_id"])) continue;
      const json& a = m[i]["annotations"][k++];
      ASSERT_EQ(a["category_id"], s["category_id"]);
      const auto mask = decode_rle(a["segmentation"]);
      std::size_t area = 0;
      for (std::size_t p = 0; p < ids.size(); ++p) {
        area += ids[p] == s["id"];
        ASSERT_EQ(mask[p] != 0, ids[p] == s["id"])
            << "image " << m[i]["image_id"] << " pixel " << p;
      }
      EXPECT_EQ(a["area"], area);
      EXPECT_EQ(a["segmentation"]["size"], json({96, 128}));
      ++checked;
    }
    EXPECT_EQ(k, m[i]["annotations"].size());
  }
  EXPECT_GT(checked, 10u);
}

TEST(ConvertDeriveCli, KeepClassesMakesOtherPixelsUnlabeledAndRemovesTheirCategories) {
  const fs::path dir = temp_dir("derive_cli_keep");
  const std::set<int64_t> kept = {1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 107, 112};
  for (const char* kind : {"semantic", "panoptic"}) {
    const fs::path out = dir / (std::string(kind) + ".jsonl");
    auto r = run_segx({"-q", "convert", "derive", input(), "--to", kind, "--keep-classes",
                       "1-9,100-112", "--out-dir", (dir / kind).string(), "-o", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto m = read_manifest(out);
    EXPECT_EQ(header_ids(m[0]), kept);
    for (std::size_t i = 1; i < m.size(); ++i) {
      const json& in = input_data().records.at(m[i]["image_id"]);
      auto expected = expected_categories(in);
      for (auto& c : expected)
        if (!kept.count(c)) c = 0;
      if (std::string(kind) == "semantic") {
        EXPECT_EQ(label_values(resolve(out, m[i]["sem_seg_file_name"])), expected);
        continue;
      }
      // Panoptic: the kept segments as they were, every other pixel void.
      std::map<uint32_t, uint32_t> category;
      for (const auto& s : m[i]["segments_info"]) {
        EXPECT_TRUE(kept.count(s["category_id"])) << s;
        category[s["id"]] = s["category_id"];
      }
      std::size_t dropped = 0;
      for (const auto& s : in["segments_info"]) dropped += !kept.count(s["category_id"]);
      EXPECT_EQ(m[i]["segments_info"].size() + dropped, in["segments_info"].size());
      const auto ids = panoptic_ids(resolve(out, m[i]["pan_seg_file_name"]));
      for (std::size_t p = 0; p < ids.size(); ++p)
        ASSERT_EQ(ids[p] == 0 ? 0u : category.at(ids[p]), expected[p]) << "pixel " << p;
    }
  }
  // The derived panoptic set is consistent (lint compares segments with pixels).
  auto r = run_segx({"convert", "lint", (dir / "panoptic.jsonl").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ConvertDeriveCli, RenameChangesIdsInHeaderRecordsAndPixels) {
  const fs::path dir = temp_dir("derive_cli_rename");
  std::ofstream(dir / "renames.json")
      << R"({"renames": [{"from": 3, "id": 103, "name": "automobile"},)"
         R"( {"from": 133, "id": 300}, {"from": 5, "name": "bicycle"}]})";
  const std::map<int64_t, int64_t> to = {{3, 103}, {133, 300}};
  const auto renamed = [&](int64_t id) { return to.count(id) ? to.at(id) : id; };
  auto r = run_segx({"-q", "convert", "derive", input(), "--to", "semantic", "--rename",
                     (dir / "renames.json").string(), "--out-dir", (dir / "sem").string(), "-o",
                     (dir / "sem.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m = read_manifest(dir / "sem.jsonl");
  std::map<int64_t, std::string> names;
  for (const auto& c : m[0]["categories"]) names[c["id"]] = c["name"];
  EXPECT_EQ(names.size(), input_data().categories.size());
  EXPECT_EQ(names.at(103), "automobile");
  EXPECT_EQ(names.at(300), input_data().categories.at(133)["name"]);  // id changed, name kept
  EXPECT_EQ(names.at(5), "bicycle");
  EXPECT_FALSE(names.count(3) || names.count(133));
  for (std::size_t i = 1; i < m.size(); ++i) {
    auto expected = expected_categories(input_data().records.at(m[i]["image_id"]));
    for (auto& c : expected) c = uint32_t(renamed(c));
    EXPECT_EQ(label_values(resolve(dir / "sem.jsonl", m[i]["sem_seg_file_name"])), expected);
  }
  r = run_segx({"-q", "convert", "derive", input(), "--to", "boxes", "--rename",
                (dir / "renames.json").string(), "-o", (dir / "boxes.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  m = read_manifest(dir / "boxes.jsonl");
  EXPECT_TRUE(header_ids(m[0]).count(103));
  EXPECT_FALSE(header_ids(m[0]).count(300));  // 133 is stuff: no box
  std::size_t cars = 0;
  for (std::size_t i = 1; i < m.size(); ++i) {
    const json& in = input_data().records.at(m[i]["image_id"]);
    std::size_t k = 0;
    for (const auto& s : in["segments_info"]) {
      if (!input_data().isthing(s["category_id"])) continue;
      EXPECT_EQ(m[i]["annotations"][k++]["category_id"], renamed(s["category_id"]));
      cars += s["category_id"] == 3;
    }
  }
  EXPECT_GT(cars, 0u);
}

TEST(ConvertDeriveCli, SlicePicksRecordsByPosition) {
  const fs::path dir = temp_dir("derive_cli_slice");
  std::vector<json> ids;
  for (const auto& [id, rec] : input_data().records) ids.push_back(id);
  const std::vector<std::tuple<std::string, std::size_t, std::size_t>> cases = {
      {"2:5", 2, 5}, {":1", 0, 1}, {"4:", 4, 6}, {"-2:", 4, 6}, {"1:-1", 1, 5}};
  for (const auto& [slice, first, last] : cases) {
    auto r = run_segx({"-q", "convert", "derive", input(), "--to", "boxes", "--slice", slice, "-o",
                       (dir / "b.jsonl").string()});
    ASSERT_EQ(r.exit_code, 0) << slice << ": " << r.err;
    const auto m = read_manifest(dir / "b.jsonl");
    std::vector<json> got;
    for (std::size_t i = 1; i < m.size(); ++i) got.push_back(m[i]["image_id"]);
    EXPECT_EQ(got, std::vector<json>(ids.begin() + long(first), ids.begin() + long(last))) << slice;
  }
}

TEST(ConvertDeriveCli, ReadsPanoptic2manifestFromStdinAndWritesAbsolutePathsOnStdout) {
  const fs::path dir = temp_dir("derive_cli_stdin");
  auto manifest =
      run_segx({"convert", "panoptic2manifest", (synth_dir() / "panoptic_gt.json").string(),
                "--images-dir", (synth_dir() / "images").string()});
  ASSERT_EQ(manifest.exit_code, 0) << manifest.err;
  auto r = run_segx({"-q", "convert", "derive", "-", "--to", "semantic", "--slice", "1:3",
                     "--out-dir", "sem", "-o", "-"},
                    manifest.out, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = parse_manifest(r.out);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["dataset"], "panoptic_gt_semantic");
  for (std::size_t i = 1; i < m.size(); ++i) {
    for (const char* key : {"file_name", "sem_seg_file_name"}) {
      const fs::path p = m[i][key].get<std::string>();
      EXPECT_TRUE(p.is_absolute()) << p;
      EXPECT_TRUE(fs::exists(p)) << p;
    }
    EXPECT_EQ(label_values(m[i]["sem_seg_file_name"].get<std::string>()),
              expected_categories(input_data().records.at(m[i]["image_id"])));
  }
  // A slice past the records of a stream is found at its end: nothing is written.
  r = run_segx({"-q", "convert", "derive", "-", "--to", "semantic", "--slice", "4:9", "--out-dir",
                "sem2", "-o", "-"},
               manifest.out, dir);
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_TRUE(has(r.err, "6 records")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir / "sem2"));
}

TEST(ConvertDeriveCli, BadInputsExitWithTheirCodeAndWriteNothing) {
  const fs::path dir = temp_dir("derive_cli_bad");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  // Manifests broken on their third line (the second record), in the synth folder's paths.
  const auto broken = [&](const std::string& name, const std::function<void(json&)>& edit) {
    auto lines = read_manifest(input());
    edit(lines[2]);
    std::string text;
    for (auto& l : lines) {
      if (l.contains("pan_seg_file_name"))
        l["pan_seg_file_name"] = (synth_dir() / l["pan_seg_file_name"].get<std::string>()).string();
      text += l.dump() + "\n";
    }
    return write(name, text);
  };
  const auto no_panoptic = broken("no_panoptic.jsonl", [](json& r) {
    r.erase("pan_seg_file_name");
    r.erase("segments_info");
  });
  const auto missing_segment = broken("missing_segment.jsonl", [](json& r) {
    r["segments_info"].push_back({{"id", 99}, {"category_id", 1}, {"iscrowd", 0}});
  });
  const auto unknown_category =
      broken("unknown_category.jsonl", [](json& r) { r["segments_info"][0]["category_id"] = 555; });
  const auto unknown_from = write("unknown_from.json", R"({"renames": [{"from": 555, "id": 1}]})");
  const auto collision = write("collision.json", R"({"renames": [{"from": 3, "id": 5}]})");
  const auto bad_json = write("bad.json", R"({"renames": [{"from": 3, "id": 5})");
  fs::create_directories(dir / "full");
  write("full/x.png", "");
  const std::string in = input();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{(dir / "none.jsonl").string(), "--to", "boxes"}, 66, "none.jsonl"},
      {{no_panoptic, "--to", "boxes"}, 65, "no_panoptic.jsonl' line 3: not a panoptic record"},
      {{missing_segment, "--to", "semantic", "--out-dir", "OUT"},
       65,
       "missing_segment.jsonl' line 3: segment 99"},
      {{unknown_category, "--to", "instances"}, 65, "unknown_category.jsonl' line 3: segment"},
      {{in, "--to", "boxes", "--slice", "3"}, 64, "--slice '3'"},
      {{in, "--to", "boxes", "--slice", "2:x"}, 64, "--slice '2:x'"},
      {{in, "--to", "boxes", "--slice", "4:7"}, 64, "--slice 4:7 reaches past the 6 records"},
      {{in, "--to", "boxes", "--keep-classes", "1-"}, 64, "--keep-classes '1-'"},
      {{in, "--to", "boxes", "--keep-classes", "1,x"}, 64, "'x' is not a category id"},
      {{in, "--to", "boxes", "--rename", unknown_from},
       78,
       "unknown_from.json': renames[0]: category 555 is not in"},
      {{in, "--to", "boxes", "--rename", collision},
       78,
       "collision.json': renames[0]: category 3 would get id 5"},
      {{in, "--to", "boxes", "--rename", bad_json}, 65, "cannot parse '" + bad_json},
      {{in, "--to", "semantic"}, 64, "--out-dir"},
      {{in, "--to", "panoptic"}, 64, "--out-dir"},
      {{in, "--to", "boxes", "--out-dir", "OUT"}, 64, "--out-dir is for semantic and panoptic"},
      {{in, "--to", "semantic", "--out-dir", (dir / "full").string()}, 73, "not empty"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"convert", "derive"};
    for (const auto& a : c.args) args.push_back(a == "OUT" ? (dir / "out").string() : a);
    args.insert(args.end(), {"-o", (dir / "o.jsonl").string()});
    const auto r = run_segx(args);
    EXPECT_EQ(r.exit_code, c.code) << c.message << ": " << r.err;
    expect_one_line(r);
    EXPECT_TRUE(has(r.err, c.message)) << r.err;
    EXPECT_FALSE(fs::exists(dir / "o.jsonl")) << c.message;
    EXPECT_FALSE(fs::exists(dir / "out")) << c.message;
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_NE(e.path().filename().string().front(), '.') << e.path();  // no stage left
  }
  // An unknown kind is a usage error of the option parser (which adds a line pointing to --help).
  auto r = run_segx({"convert", "derive", in, "--to", "masks", "-o", (dir / "o.jsonl").string()});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_TRUE(has(r.err, "--to: masks not in")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "o.jsonl"));
  // With --overwrite, a non-empty folder receives the PNGs.
  r = run_segx({"-q", "convert", "derive", in, "--to", "semantic", "--out-dir",
                (dir / "full").string(), "--overwrite", "-o", (dir / "o.jsonl").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "full/000000000001.png"));
  EXPECT_TRUE(fs::exists(dir / "full/x.png"));
}

TEST(ConvertDeriveCli, HelpShowsTheCocoPanopticRoute) {
  auto r = run_segx({"convert", "derive", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"--to", "--slice", "--keep-classes", "--rename", "--out-dir", "panoptic2manifest"})
    EXPECT_TRUE(has(r.out, part)) << part;
}

}  // namespace segx::test
