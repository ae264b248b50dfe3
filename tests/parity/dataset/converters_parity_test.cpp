// Conversions equal the reference converters' outputs (panopticapi, cityscapesScripts) on the
// fixtures: JSON compared as parsed values, semantic PNGs pixel for pixel.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "segx/dataset/cityscapes.hpp"
#include "segx/dataset/json.hpp"
#include "segx/dataset/panoptic_convert.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "support/fixtures.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;
namespace {

JsonDocument parse(const std::string& text) {
  JsonDocument d;
  parse_json(d, text, "output");
  return d;
}

// Parsed-value equality with a readable first difference.
void expect_same_json(const JsonValue& ours, const JsonValue& theirs, const std::string& path = "$") {
  if (ours.IsNumber() && theirs.IsNumber()) {
    EXPECT_EQ(ours.GetDouble(), theirs.GetDouble()) << path;
    return;
  }
  ASSERT_EQ(ours.GetType(), theirs.GetType()) << path << ": " << to_json(ours) << " vs " << to_json(theirs);
  if (ours.IsObject()) {
    ASSERT_EQ(ours.MemberCount(), theirs.MemberCount()) << path << ": " << to_json(ours).substr(0, 300);
    for (const auto& m : theirs.GetObject()) {
      const JsonValue* o = find_member(ours, m.name.GetString());
      ASSERT_NE(o, nullptr) << path << "." << m.name.GetString() << " missing";
      expect_same_json(*o, m.value, path + "." + m.name.GetString());
    }
  } else if (ours.IsArray()) {
    ASSERT_EQ(ours.Size(), theirs.Size()) << path;
    for (rapidjson::SizeType i = 0; i < ours.Size(); ++i)
      expect_same_json(ours[i], theirs[i], path + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_TRUE(ours == theirs) << path << ": " << to_json(ours) << " vs " << to_json(theirs);
  }
}

struct Sample {
  fs::path dir, expected;
  CocoPanoptic in;
  JsonDocument cats_doc;
  CategorySet cats;
  Sample() {
    dir = test::fixtures_root() / "real/panopticapi_sample";
    expected = test::fixtures_root() / "expected/panopticapi_sample_converters";
    in = CocoPanoptic::read((dir / "panoptic_examples.json").string(), (dir / "panoptic_examples").string());
    cats_doc = read_json_file((dir / "panoptic_coco_categories.json").string());
    cats = CategorySet::from_json(cats_doc, "categories");
  }
};

}  // namespace

TEST(PanopticapiParity, PanopticToDetectionAllAndThingsOnly) {
  SEGX_REQUIRE_FIXTURES();
  Sample s;
  for (bool things : {false, true}) {
    PanopticToInstancesOptions o;
    o.things_only = things;
    o.categories = &s.cats;
    o.threads = 2;
    std::ostringstream out;
    panoptic_to_instances(s.in, o, out);
    auto expected = read_json_file((s.expected / (things ? "panoptic_examples_detection_things.json" : "panoptic_examples_detection.json")).string());
    auto ours = parse(out.str());
    EXPECT_GT(ours["annotations"].Size(), 10u);
    expect_same_json(ours, expected);
  }
}

TEST(PanopticapiParity, PanopticToSemanticJson) {
  SEGX_REQUIRE_FIXTURES();
  Sample s;
  PanopticToSemanticOptions o;
  o.categories = &s.cats;
  o.categories_json = &s.cats_doc;
  std::ostringstream out;
  panoptic_to_semantic_json(s.in, o, out);
  expect_same_json(parse(out.str()), read_json_file((s.expected / "semantic_coco_format.json").string()));
}

TEST(PanopticapiParity, PanopticToSemanticPngs) {
  SEGX_REQUIRE_FIXTURES();
  Sample s;
  fs::path out = test::temp_dir("semantic_pngs") / "out";
  PanopticToSemanticOptions o;
  o.categories = &s.cats;
  panoptic_to_semantic_pngs(s.in, o, out.string());
  int files = 0;
  for (const auto& e : fs::directory_iterator(s.expected / "semantic_pngs")) {
    io::Image theirs = io::read_png(e.path().string());
    io::Image ours = io::read_png((out / e.path().filename()).string());
    ASSERT_EQ(ours.width, theirs.width);
    ASSERT_EQ(ours.height, theirs.height);
    ASSERT_EQ(ours.channels, theirs.channels);
    EXPECT_TRUE(ours.data == theirs.data) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST(SynthParity, InstancesFromPanopticEqualTheConverterOnN200) {
  SEGX_REQUIRE_FIXTURES();
  fs::path n200 = test::fixtures_root() / "synth/n200";
  auto in = CocoPanoptic::read((n200 / "panoptic_gt.json").string());
  auto cats_doc = read_json_file((n200 / "categories.json").string());
  auto cats = CategorySet::from_json(cats_doc, "categories");
  PanopticToInstancesOptions o;
  o.things_only = true;
  o.id_start = 1;
  o.categories = &cats;
  std::ostringstream out;
  panoptic_to_instances(in, o, out);
  auto ours = parse(out.str());
  auto expected = read_json_file((n200 / "instances_gt.json").string());
  ASSERT_EQ(ours["annotations"].Size(), expected["annotations"].Size());
  for (rapidjson::SizeType i = 0; i < expected["annotations"].Size(); ++i)
    expect_same_json(ours["annotations"][i], expected["annotations"][i], "annotations[" + std::to_string(i) + "]");
  expect_same_json(ours["categories"], expected["categories"]);
  expect_same_json(ours["images"], expected["images"]);
}

TEST(CityscapesParity, CreatePanopticImgsOnTheSampleFrame) {
  SEGX_REQUIRE_FIXTURES();
  fs::path out = test::temp_dir("cityscapes_panoptic");
  CityscapesOptions o;
  cityscapes_to_coco_panoptic((test::fixtures_root() / "real/mmseg_tests/pseudo_cityscapes_dataset").string(), o,
                              (out / "pan.json").string(), (out / "pan").string());
  fs::path ref = test::fixtures_root() / "real/cityscapes_panoptic_derived";
  expect_same_json(read_json_file((out / "pan.json").string()),
                   read_json_file((ref / "cityscapes_panoptic_val.json").string()));
  auto ours = io::read_panoptic_png((out / "pan/frankfurt_000000_000294_gtFine_panoptic.png").string());
  auto theirs = io::read_panoptic_png((ref / "cityscapes_panoptic_val/frankfurt_000000_000294_gtFine_panoptic.png").string());
  EXPECT_TRUE(ours.ids == theirs.ids);
}

TEST(CityscapesLabels, TrainIdMappingAsLabelsPy) {
  auto lut = cityscapes_label_to_train_id();
  int trained = 0;
  for (int id = 0; id < 34; ++id) trained += lut[std::size_t(id)] != 255;
  EXPECT_EQ(trained, 19);
  EXPECT_EQ(lut[7], 0);    // road
  EXPECT_EQ(lut[26], 13);  // car
  EXPECT_EQ(lut[33], 18);  // bicycle
  EXPECT_EQ(lut[29], 255); // caravan: not evaluated
  SEGX_REQUIRE_FIXTURES();
  // The fixture's labelTrainIds PNG is labels.py's mapping applied to its labelIds PNG, but both
  // were downsampled separately by mmseg (77 boundary pixels of 32768 disagree); a wrong row of
  // the table would move thousands.
  fs::path dir = test::fixtures_root() / "real/mmseg_tests/pseudo_cityscapes_dataset/gtFine/val/frankfurt";
  auto ids = io::read_png((dir / "frankfurt_000000_000294_gtFine_labelIds.png").string());
  auto train = io::read_png((dir / "frankfurt_000000_000294_gtFine_labelTrainIds.png").string());
  ASSERT_EQ(ids.data.size(), train.data.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < ids.data.size(); ++i) mismatches += lut[ids.data[i]] != train.data[i];
  EXPECT_LE(mismatches, 100u);
}

}  // namespace segx::dataset
