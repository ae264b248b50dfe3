// Inputs that tests/fuzz found breaking the dataset readers, kept as regression tests: numbers
// that RapidJSON holds as doubles were read with GetInt/GetInt64 (a double's bits taken for an
// integer: "iscrowd": 1.0 read as 0, "area": 1.5 as 4.6e18; an assertion in debug builds), and
// get_int cast doubles beyond int64 (undefined behaviour). The in-memory entry points (parse,
// a manifest from a stream) are the ones the fuzz targets use.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>

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

// fuzz_manifest: "0." and 400 zeros made RapidJSON 1.1's full-precision strtod read out of bounds
// (AddressSanitizer SEGV in StrtodDiyFp); 24 zeros gave -3.99e146 (upstream issue #1441). Numbers
// are now converted by std::from_chars, so each equals glibc's correctly rounded strtod.
TEST(FuzzFindings, LongNumbersParseExactly) {
  const std::string zeros = "0." + std::string(400, '0');
  const std::string cases[] = {zeros, "0.000000000000000000000000", "0.184467440737095516159",
                               "128.74836467836484838364836483643636483648e-300",
                               "2.220446049250313e-16", "1" + std::string(30, '0'), "-0.0",
                               "4.9406564584124654e-324", "1e-400"};
  for (const auto& text : cases) {
    auto doc = parse(("[" + text + "]").c_str());
    ASSERT_TRUE(doc[0].IsDouble()) << text;
    EXPECT_EQ(doc[0].GetDouble(), std::strtod(text.c_str(), nullptr)) << text;
    // The same through the in-place parser the COCO readers use.
    std::string buffer = "[" + text + "]";
    JsonDocument insitu;
    ASSERT_FALSE(parse_json_insitu(insitu, buffer.data()).IsError()) << text;
    EXPECT_EQ(insitu[0].GetDouble(), std::strtod(text.c_str(), nullptr)) << text;
  }
  // Random decimals of 1-60 digits and exponents, against strtod.
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string text = std::to_string(rng() % 10);
    text += ".";
    const int digits = 1 + static_cast<int>(rng() % 60);
    for (int k = 0; k < digits; ++k) text += char('0' + rng() % 10);
    text += "e" + std::to_string(static_cast<int>(rng() % 600) - 300);
    auto doc = parse(("[" + text + "]").c_str());
    ASSERT_EQ(doc[0].GetDouble(), std::strtod(text.c_str(), nullptr)) << text;
  }
  EXPECT_THROW(parse("[1e999]"), Error);  // no double holds it: RapidJSON's error, as before
}

TEST(FuzzFindings, IntegersKeepRapidJsonTypes) {
  auto doc = parse("[4294967295, 4294967296, -2147483648, -2147483649, 18446744073709551616, -0, "
                   "NaN, -Infinity, 1.5]");
  EXPECT_TRUE(doc[0].IsUint() && doc[0].GetUint() == 4294967295u);
  EXPECT_TRUE(doc[1].IsUint64() && !doc[1].IsUint() && doc[1].GetUint64() == 4294967296ull);
  EXPECT_TRUE(doc[2].IsInt() && doc[2].GetInt() == -2147483647 - 1);
  EXPECT_TRUE(doc[3].IsInt64() && !doc[3].IsInt() && doc[3].GetInt64() == -2147483649ll);
  EXPECT_TRUE(doc[4].IsDouble() && doc[4].GetDouble() == 18446744073709551616.0);
  EXPECT_TRUE(doc[5].IsInt() && doc[5].GetInt() == 0);
  EXPECT_TRUE(doc[6].IsDouble() && std::isnan(doc[6].GetDouble()));
  EXPECT_TRUE(doc[7].IsDouble() && doc[7].GetDouble() < 0 && std::isinf(doc[7].GetDouble()));
  EXPECT_TRUE(doc[8].IsDouble() && doc[8].GetDouble() == 1.5);
}

TEST(FuzzFindings, ManifestWithLongNumber) {
  // The fuzzer's reproducer shape: a manifest line that is one long number.
  // A header line that is a number is no header: a DataError, not a crash.
  auto in = std::make_unique<std::istringstream>("0." + std::string(400, '0') + "\n");
  EXPECT_THROW(ManifestReader(std::move(in), "m.jsonl"), Error);
}

}  // namespace
}  // namespace segx::dataset
