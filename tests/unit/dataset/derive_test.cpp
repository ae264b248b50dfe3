// derive: the option parsers (slices, class lists, rename tables) and derive_manifest on a
// hand-made 4x3 panoptic image whose every output value is known: semantic label values, instance
// masks and boxes, a panoptic subset, renamed classes, rewritten paths, kept unknown fields, and
// the errors that leave nothing behind.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/dataset/derive.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/mask/rle.hpp"
#include "support/fixtures.hpp"

namespace segx::dataset {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// A one-line Error of this kind whose message contains each of `parts`.
void expect_error(const std::function<void()>& f, ErrorKind kind,
                  const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << parts.front();
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

// The image: segment 7 (sky, stuff), 8 (person), 9 (car, crowd, no bbox/area given), 5 (big,
// category 300), 0 void.
constexpr int kW = 4, kH = 3;
const std::vector<uint32_t> kIds = {7, 7, 9, 0,  //
                                    7, 8, 9, 9,  //
                                    8, 8, 0, 5};

const char* kHeader =
    R"({"type":"header","segx_manifest":1,"dataset":"tiny","root":"data","vendor":{"x":1},)"
    R"("categories":[{"id":1,"name":"person","isthing":1,"color":[1,2,3]},)"
    R"({"id":2,"name":"car","isthing":1},{"id":4,"name":"unused","isthing":1},)"
    R"({"id":10,"name":"sky","isthing":0},{"id":300,"name":"big","isthing":1}]})";

// A record of the image; `changes` replace its members.
std::string record(int image_id, const std::string& segments,
                   const json& changes = json::object()) {
  json r = json::parse(R"({"type":"image","file_name":"img/a.jpg","height":3,"width":4,)"
                       R"("pan_seg_file_name":"pan/a.png","sem_seg_file_name":"old.png",)"
                       R"("note":"keep me"})");
  r["image_id"] = image_id;
  r["segments_info"] = json::parse(segments);
  r.update(changes);
  return r.dump();
}

const char* kSegments =
    R"([{"id":7,"category_id":10,"iscrowd":0,"area":3,"bbox":[0,0,2,2]},)"
    R"({"id":8,"category_id":1,"iscrowd":0,"area":3,"bbox":[0,1,2,2],"extra":"x"},)"
    R"({"id":9,"category_id":2,"iscrowd":1},)"
    R"({"id":5,"category_id":300,"iscrowd":0,"area":1,"bbox":[3,2,1,1]}])";

// in/m.jsonl (header root "data") with `records`, and the image as in/data/pan/{a,b}.png.
fs::path write_input(const std::string& tag, const std::vector<std::string>& records) {
  const fs::path dir = test::temp_dir(tag);
  fs::create_directories(dir / "in/data/pan");
  for (const char* png : {"in/data/pan/a.png", "in/data/pan/b.png"})
    io::write_panoptic_png((dir / png).string(), kW, kH, kIds.data());
  std::ofstream out(dir / "in/m.jsonl");
  out << kHeader << '\n';
  for (const auto& r : records) out << r << '\n';
  return dir;
}

std::vector<json> read_manifest(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

std::vector<int64_t> category_ids(const json& header) {
  std::vector<int64_t> ids;
  for (const auto& c : header["categories"]) ids.push_back(c["id"]);
  return ids;
}

DeriveOptions options(DerivedKind kind, const fs::path& out_dir = {}) {
  DeriveOptions o;
  o.kind = kind;
  o.out_dir = out_dir.string();
  o.threads = 2;
  return o;
}

// The pixel values of a one-channel PNG.
std::vector<uint32_t> pixels(const fs::path& png) {
  const io::Image img = io::read_png(png.string());
  std::vector<uint32_t> out;
  for (std::size_t p = 0; p < std::size_t(img.width * img.height); ++p)
    out.push_back(img.bit_depth == 16 ? img.data16()[p] : img.data[p]);
  return out;
}

}  // namespace

TEST(DatasetDeriveOptions, SlicesAreHalfOpenFromZeroAndCountNegativesFromTheEnd) {
  EXPECT_EQ(resolve_slice(parse_record_slice("40:100"), 100, "m"), std::make_pair(40L, 100L));
  EXPECT_EQ(resolve_slice(parse_record_slice(":2"), 6, "m"), std::make_pair(0L, 2L));
  EXPECT_EQ(resolve_slice(parse_record_slice("3:"), 6, "m"), std::make_pair(3L, 6L));
  EXPECT_EQ(resolve_slice(parse_record_slice("-2:"), 6, "m"), std::make_pair(4L, 6L));
  EXPECT_EQ(resolve_slice(parse_record_slice("1:-1"), 6, "m"), std::make_pair(1L, 5L));
  EXPECT_EQ(resolve_slice(parse_record_slice("0:6"), 6, "m"), std::make_pair(0L, 6L));
  for (const char* bad : {"", "5", "a:b", "1:2:3", "1.5:3", "5:5", "5:3", "-1:-2"})
    expect_error([&] { parse_record_slice(bad); }, ErrorKind::Usage, {"--slice"});
  // Past the records, or nothing of them: refused, not clamped as training does.
  expect_error([] { resolve_slice(parse_record_slice("2:9"), 6, "m.jsonl"); }, ErrorKind::Usage,
               {"--slice 2:9", "6 records", "'m.jsonl'"});
  expect_error([] { resolve_slice(parse_record_slice("-7:"), 6, "m"); }, ErrorKind::Usage,
               {"--slice -7:"});
  expect_error([] { resolve_slice(parse_record_slice("6:"), 6, "m"); }, ErrorKind::Usage,
               {"selects none"});
  expect_error([] { resolve_slice(parse_record_slice("4:-3"), 6, "m"); }, ErrorKind::Usage,
               {"selects none"});
}

TEST(DatasetDeriveOptions, ClassListsTakeIdsAndInclusiveRanges) {
  const auto s = parse_class_selection("1-5, 8,12");
  for (int64_t id : {1, 3, 5, 8, 12}) EXPECT_TRUE(s.contains(id)) << id;
  for (int64_t id : {0, 6, 7, 9, 13}) EXPECT_FALSE(s.contains(id)) << id;
  for (const char* bad : {"", "1,", ",1", "5-3", "a", "-3", "1-", "1-2-3", "1 2"})
    expect_error([&] { parse_class_selection(bad); }, ErrorKind::Usage, {"--keep-classes", bad});
  EXPECT_EQ(parse_derived_kind("boxes"), DerivedKind::Boxes);
  expect_error([] { parse_derived_kind("masks"); }, ErrorKind::Usage, {"--to 'masks'"});
}

TEST(DatasetDeriveOptions, RenameTablesAreReadStrictly) {
  const fs::path dir = test::temp_dir("derive_rename_table");
  const auto table = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const auto t = read_rename_table(table(
      "ok.json", R"({"description":"mine","renames":[{"from":3,"id":103,"name":"automobile"},)"
                 R"({"from":7,"name":"bike"},{"from":8,"id":9}]})"));
  ASSERT_EQ(t.entries.size(), 3u);
  EXPECT_EQ(t.entries[0].from, 3);
  EXPECT_EQ(*t.entries[0].id, 103);
  EXPECT_EQ(*t.entries[0].name, "automobile");
  EXPECT_FALSE(t.entries[1].id);
  EXPECT_FALSE(t.entries[2].name);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"renames":[{"from":3,"id":4,}]})", "cannot parse"},
      {R"([{"from":3,"id":4}])", "expected {\"renames\""},
      {R"({"renames":[{"from":3,"to":4}]})", "renames[0]: unknown member \"to\""},
      {R"({"renames":[{"from":3}]})", "renames[0]: give \"id\" or \"name\""},
      {R"({"renames":[{"id":3}]})", "renames[0]: missing \"from\""},
      {R"({"renames":[{"from":3,"name":""}]})", "renames[0]: \"name\" is empty"},
      {R"({"renames":[{"from":3,"id":"x"}]})", "renames[0]: \"id\" is not an integer"},
      {R"({"renames":[{"from":3,"id":4},{"from":3,"id":5}]})", "renames[1]: category 3"}};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const auto path = table("bad" + std::to_string(i) + ".json", bad[i].first);
    expect_error([&] { read_rename_table(path); }, ErrorKind::DataError, {path, bad[i].second});
  }
  expect_error([&] { read_rename_table((dir / "none.json").string()); }, ErrorKind::NoInput,
               {"none.json"});
}

TEST(DatasetDerive, SemanticPngsHoldEachPixelsCategoryAndRecordsKeepWhatTheyDoNotKnow) {
  const fs::path dir = write_input("derive_semantic", {record(1, kSegments)});
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "out/s.jsonl").string(),
                  options(DerivedKind::Semantic, dir / "out/sem"));
  const auto m = read_manifest(dir / "out/s.jsonl");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["dataset"], "tiny_semantic");
  EXPECT_EQ(m[0]["semantic_ids"], "category");
  EXPECT_EQ(m[0]["vendor"], json({{"x", 1}}));
  EXPECT_FALSE(m[0].contains("root"));  // paths are rewritten against the output's folder
  EXPECT_EQ(category_ids(m[0]), (std::vector<int64_t>{1, 2, 4, 10, 300}));
  EXPECT_EQ(m[0]["categories"][0]["color"], json({1, 2, 3}));
  const json& r = m[1];
  EXPECT_EQ(r["image_id"], 1);
  EXPECT_EQ(r["note"], "keep me");
  EXPECT_EQ(r["file_name"], "../in/data/img/a.jpg");
  EXPECT_EQ(r["sem_seg_file_name"], "sem/a.png");
  for (const char* gone : {"pan_seg_file_name", "segments_info", "annotations"})
    EXPECT_FALSE(r.contains(gone)) << gone;
  // 16-bit: category 300 does not fit a byte.
  EXPECT_EQ(io::read_png((dir / "out/sem/a.png").string()).bit_depth, 16);
  EXPECT_EQ(pixels(dir / "out/sem/a.png"),
            (std::vector<uint32_t>{10, 10, 2, 0, 10, 1, 2, 2, 1, 1, 0, 300}));
}

TEST(DatasetDerive, InstancesAreThingSegmentsWithMasksBoxesAndAreas) {
  const fs::path dir =
      write_input("derive_instances", {record(1, kSegments), record(2, kSegments)});
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "i.jsonl").string(),
                  options(DerivedKind::Instances));
  const auto m = read_manifest(dir / "i.jsonl");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["dataset"], "tiny_instances");
  EXPECT_EQ(category_ids(m[0]), (std::vector<int64_t>{1, 2, 4, 300}));  // things only
  EXPECT_FALSE(m[0].contains("semantic_ids"));
  const json& anns = m[1]["annotations"];
  ASSERT_EQ(anns.size(), 3u);  // person, car, big; the sky is stuff
  // Given members stay (bbox, area, extra); the crowd car's are computed from its mask.
  EXPECT_EQ(anns[0]["category_id"], 1);
  EXPECT_EQ(anns[0]["bbox"], json({0, 1, 2, 2}));
  EXPECT_EQ(anns[0]["extra"], "x");
  EXPECT_EQ(anns[1]["category_id"], 2);
  EXPECT_EQ(anns[1]["iscrowd"], 1);
  EXPECT_EQ(anns[1]["bbox"], json({2.0, 0.0, 2.0, 2.0}));
  EXPECT_EQ(anns[1]["area"], 3);
  const std::vector<uint32_t> segment = {8, 9, 5};
  for (std::size_t k = 0; k < anns.size(); ++k) {
    const auto& seg = anns[k]["segmentation"];
    EXPECT_EQ(seg["size"], json({kH, kW}));
    const auto mask = mask::decode_row_major(
        mask::from_string(seg["counts"].get<std::string>(), uint32_t(kH), uint32_t(kW)));
    for (std::size_t p = 0; p < kIds.size(); ++p)
      EXPECT_EQ(mask[p] != 0, kIds[p] == segment[k]) << "segment " << segment[k] << " pixel " << p;
  }
  // Ids run through the whole output from 1.
  std::vector<int64_t> ids;
  for (const auto& r : {m[1], m[2]})
    for (const auto& a : r["annotations"]) ids.push_back(a["id"]);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(DatasetDerive, BoxesAreInstancesWithoutMasks) {
  const fs::path dir = write_input("derive_boxes", {record(1, kSegments)});
  auto o = options(DerivedKind::Boxes);
  o.name = "weak";
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "b.jsonl").string(), o);
  const auto m = read_manifest(dir / "b.jsonl");
  EXPECT_EQ(m[0]["dataset"], "weak");
  const json& anns = m[1]["annotations"];
  ASSERT_EQ(anns.size(), 3u);
  for (const auto& a : anns) EXPECT_FALSE(a.contains("segmentation")) << a;
  EXPECT_EQ(anns[2]["bbox"], json({3, 2, 1, 1}));
}

TEST(DatasetDerive, KeptAndRenamedClassesReachHeaderSegmentsAndPixels) {
  const fs::path dir = write_input("derive_panoptic", {record(1, kSegments)});
  std::ofstream(dir / "renames.json")
      << R"({"renames":[{"from":1,"id":11,"name":"human"},{"from":10,"name":"heaven"},)"
         R"({"from":4,"id":1}]})";
  auto o = options(DerivedKind::Panoptic, dir / "pan");
  o.keep_classes = parse_class_selection("1,10");
  o.renames = read_rename_table((dir / "renames.json").string());
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "p.jsonl").string(), o);
  const auto m = read_manifest(dir / "p.jsonl");
  // Class 4 is not kept: its rename onto 1 (free now that 1 became 11) changes nothing.
  ASSERT_EQ(m[0]["categories"].size(), 2u);
  EXPECT_EQ(m[0]["categories"][0]["id"], 11);
  EXPECT_EQ(m[0]["categories"][0]["name"], "human");
  EXPECT_EQ(m[0]["categories"][0]["color"], json({1, 2, 3}));
  EXPECT_EQ(m[0]["categories"][1]["id"], 10);
  EXPECT_EQ(m[0]["categories"][1]["name"], "heaven");
  const json& segs = m[1]["segments_info"];
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0]["id"], 7);
  EXPECT_EQ(segs[0]["category_id"], 10);
  EXPECT_EQ(segs[1]["id"], 8);
  EXPECT_EQ(segs[1]["category_id"], 11);
  EXPECT_EQ(m[1]["pan_seg_file_name"], "pan/a.png");
  const auto ids = io::read_panoptic_png((dir / "pan/a.png").string());
  EXPECT_EQ(ids.ids, (std::vector<uint32_t>{7, 7, 0, 0, 7, 8, 0, 0, 8, 8, 0, 0}));

  // The same classes as semantic values (8-bit now that 300 is gone).
  o.kind = DerivedKind::Semantic;
  o.out_dir = (dir / "sem").string();
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "s.jsonl").string(), o);
  EXPECT_EQ(io::read_png((dir / "sem/a.png").string()).bit_depth, 8);
  EXPECT_EQ(pixels(dir / "sem/a.png"),
            (std::vector<uint32_t>{10, 10, 0, 0, 10, 11, 0, 0, 11, 11, 0, 0}));
}

TEST(DatasetDerive, SlicesPickRecordsByPositionAndStdoutGetsAbsolutePaths) {
  std::vector<std::string> records;
  for (int id = 10; id < 16; ++id) records.push_back(record(id, kSegments));
  const fs::path dir = write_input("derive_slice", records);
  auto o = options(DerivedKind::Boxes);
  o.slice = parse_record_slice("2:5");
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "b.jsonl").string(), o);
  auto m = read_manifest(dir / "b.jsonl");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1]["image_id"], 12);
  EXPECT_EQ(m[3]["image_id"], 14);
  o.slice = parse_record_slice("-1:");
  derive_manifest((dir / "in/m.jsonl").string(), (dir / "b.jsonl").string(), o);
  m = read_manifest(dir / "b.jsonl");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1]["image_id"], 15);
  EXPECT_EQ(m[1]["file_name"], "in/data/img/a.jpg");
  // On stdout the paths are absolute: there is no folder to be relative to.
  testing::internal::CaptureStdout();
  derive_manifest((dir / "in/m.jsonl").string(), "-", o);
  std::istringstream text(testing::internal::GetCapturedStdout());
  std::string line;
  std::getline(text, line);
  std::getline(text, line);
  EXPECT_EQ(json::parse(line)["file_name"], (dir / "in/data/img/a.jpg").string());
}

TEST(DatasetDerive, ConflictingOptionsAreRefusedBeforeAnythingIsWritten) {
  const fs::path dir = write_input("derive_refused", {record(1, kSegments), record(2, kSegments)});
  const std::string in = (dir / "in/m.jsonl").string(), out = (dir / "o.jsonl").string();
  const auto rename = [&](const std::string& text) {
    std::ofstream(dir / "r.json") << text;
    return read_rename_table((dir / "r.json").string());
  };
  auto o = options(DerivedKind::Semantic);
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Usage, {"--out-dir"});
  o = options(DerivedKind::Boxes, dir / "x");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Usage, {"--to boxes", "--out-dir"});
  o = options(DerivedKind::Boxes);
  o.slice = parse_record_slice("1:3");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Usage, {"2 records"});
  o = options(DerivedKind::Boxes);
  o.keep_classes = parse_class_selection("1,5");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config, {"has no category 5"});
  o.keep_classes = parse_class_selection("10");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config, {"no thing class"});
  o = options(DerivedKind::Boxes);
  o.renames = rename(R"({"renames":[{"from":3,"id":30}]})");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config,
               {"r.json", "renames[0]", "category 3 is not in"});
  o.renames = rename(R"({"renames":[{"from":1,"id":2}]})");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config,
               {"r.json", "renames[0]", "id 2"});
  o.renames = rename(R"({"renames":[{"from":1,"id":77},{"from":300,"id":77}]})");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config, {"renames[1]", "id 77"});
  // Swapping two ids is no collision.
  o.renames = rename(R"({"renames":[{"from":1,"id":2},{"from":2,"id":1}]})");
  EXPECT_NO_THROW(derive_manifest(in, out, o));
  fs::remove(out);
  o = options(DerivedKind::Semantic, dir / "sem");
  o.renames = rename(R"({"renames":[{"from":10,"id":0}]})");
  expect_error([&] { derive_manifest(in, out, o); }, ErrorKind::Config, {"renames[0]", "id 0"});
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir / "sem"));
}

TEST(DatasetDerive, RecordsThatDisagreeWithTheirPngOrHeaderFailNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"image","image_id":2,"file_name":"a.jpg","sem_seg_file_name":"s.png"})",
       "not a panoptic record"},
      {record(2,
              R"([{"id":7,"category_id":10},{"id":8,"category_id":1},{"id":9,"category_id":2}])"),
       "segment id 5"},  // in the PNG, not in segments_info
      {record(2, R"([{"id":7,"category_id":10},{"id":8,"category_id":1},{"id":9,"category_id":2},)"
                 R"({"id":5,"category_id":300},{"id":6,"category_id":1}])"),
       "segment 6 (category 1) is not in"},
      {record(2, R"([{"id":7,"category_id":10},{"id":8,"category_id":1},{"id":9,"category_id":2},)"
                 R"({"id":5,"category_id":99}])"),
       "category 99, which the header does not list"},
      {record(2, R"([{"id":7,"category_id":10},{"id":7,"category_id":1}])"), "appears twice"},
      {record(2, kSegments, {{"width", 5}}), "is 4x3 but"},
      {record(2, kSegments, {{"pan_seg_file_name", "pan/none.png"}}), "cannot open"},
  };
  for (const auto& [bad, message] : cases) {
    const fs::path dir = write_input(
        "derive_bad_record", {record(1, kSegments, {{"pan_seg_file_name", "pan/b.png"}}), bad});
    const std::string in = (dir / "in/m.jsonl").string();
    for (auto kind : {DerivedKind::Semantic, DerivedKind::Boxes}) {
      const fs::path out_dir = kind == DerivedKind::Semantic ? dir / "sem" : fs::path();
      const ErrorKind expected =
          message == "cannot open" ? ErrorKind::NoInput : ErrorKind::DataError;
      expect_error([&] { derive_manifest(in, (dir / "o.jsonl").string(), options(kind, out_dir)); },
                   expected, {"m.jsonl' line 3", message});
      EXPECT_FALSE(fs::exists(dir / "o.jsonl"));
      EXPECT_FALSE(fs::exists(dir / "sem"));
      for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "in");
    }
  }
}

TEST(DatasetDerive, TwoRecordsWritingOneLabelPngAreRefused) {
  const fs::path dir =
      write_input("derive_png_twice", {record(1, kSegments), record(2, kSegments)});
  expect_error(
      [&] {
        derive_manifest((dir / "in/m.jsonl").string(), (dir / "o.jsonl").string(),
                        options(DerivedKind::Panoptic, dir / "pan"));
      },
      ErrorKind::DataError, {"line 2 and ", "line 3 would both write 'a.png'"});
  EXPECT_FALSE(fs::exists(dir / "pan"));
}

}  // namespace segx::dataset
