// Inputs that tests/fuzz found breaking the dataset readers, kept as regression tests: numbers
// that RapidJSON holds as doubles were read with GetInt/GetInt64 (a double's bits taken for an
// integer: "iscrowd": 1.0 read as 0, "area": 1.5 as 4.6e18; an assertion in debug builds), and
// get_int cast doubles beyond int64 (undefined behaviour). The in-memory entry points (parse,
// a manifest from a stream) are the ones the fuzz targets use.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_instances.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/json.hpp"
#include "segx/dataset/manifest.hpp"

namespace segx::dataset {
namespace {

JsonDocument parse(const char* text) {
  JsonDocument doc;
  parse_json(doc, text, "t.json");
  return doc;
}

TEST(FuzzFindings, GetIntTakesIntegralDoublesAndRefusesTheRest) {
  EXPECT_EQ(get_int(parse(R"({"a": 3.0})"), "a", "t"), 3);
  EXPECT_EQ(get_int(parse(R"({"a": -9.2e18})"), "a", "t"), int64_t(-9.2e18));
  // The fuzzer's value (outside int64), then 2^63 exactly, a fraction and NaN.
  for (const char* text : {R"({"a": 1.84467e+20})", R"({"a": 9223372036854775808.0})",
                           R"({"a": 0.5})", R"({"a": NaN})"})
    EXPECT_THROW(get_int(parse(text), "a", "t"), Error) << text;
}

TEST(FuzzFindings, PanopticSegmentNumbersWrittenAsDoubles) {
  const auto coco = CocoPanoptic::parse(
      R"({"annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": [
            {"id": 1, "category_id": 1, "iscrowd": 1.0, "area": 7.0}]}]})",
      "p.json");
  ASSERT_EQ(coco.annotations[0].segments.size(), 1u);
  EXPECT_EQ(coco.annotations[0].segments[0].iscrowd, 1);
  EXPECT_EQ(coco.annotations[0].segments[0].area, 7);
  // The fuzzer's input: an area with a fraction is no pixel count.
  EXPECT_THROW(CocoPanoptic::parse(
                   R"({"annotations":[{"image_id":1,"file_name":"a.png","segments_info":[{"id":1,)"
                   R"("category_id":1,"iscrowd":0,"area":1.5,"bbox":[0,0,2,2],"score":0.5}]}]})",
                   "p.json"),
               Error);
}

TEST(FuzzFindings, InstancesCrowdFlagWrittenAsDouble) {
  const auto coco = CocoInstances::parse(
      R"({"images": [], "annotations": [{"image_id": 1, "category_id": 2, "iscrowd": 1.0},
                                         {"image_id": 1, "category_id": 2, "iscrowd": 4294967296}]})",
      "i.json");
  ASSERT_EQ(coco.annotations.size(), 2u);
  EXPECT_EQ(coco.annotations[0].iscrowd, 1);
  EXPECT_NE(coco.annotations[1].iscrowd, 0);  // clamped, still a crowd
}

TEST(FuzzFindings, CategoryColoursAreClampedNotReinterpreted) {
  // A manifest header, as the fuzzer's input had it: colours as doubles and out of range.
  const std::string text = R"({"type":"header","segx_manifest":1,"categories":[{"id":1,"name":"a",)"
                           R"("color":[255.0,300,-1]},{"id":2,"name":"b","color":[NaN,"x",12.7]}]})"
                           "\n";
  ManifestReader reader(std::make_unique<std::istringstream>(text), "m.jsonl");
  const auto& cats = reader.header().categories;
  ASSERT_EQ(cats.size(), 2u);
  EXPECT_EQ(cats.find(1)->color, (std::array<uint8_t, 3>{255, 255, 0}));
  EXPECT_EQ(cats.find(2)->color, (std::array<uint8_t, 3>{0, 0, 12}));
  JsonDocument record;
  EXPECT_FALSE(reader.next(record));
}

}  // namespace
}  // namespace segx::dataset
