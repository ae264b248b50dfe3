// Manifests: header parsing, unknown fields kept through a read/write cycle, line-numbered errors,
// and the synthetic generator's determinism.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/dataset/synth.hpp"
#include "support/fixtures.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

TEST(Manifest, UnknownFieldsSurviveAReadWriteCycle) {
  fs::path dir = test::temp_dir("manifest_rw");
  const std::string text =
      "{\"type\":\"header\",\"segx_manifest\":1,\"dataset\":\"d\",\"vendor\":{\"x\":[1,2]},"
      "\"categories\":[{\"id\":3,\"name\":\"a\",\"isthing\":1}]}\n"
      "\n"
      "{\"type\":\"image\",\"image_id\":7,\"file_name\":\"i/7.jpg\",\"height\":2,\"width\":3,\"note\":\"keep me\"}\n";
  std::ofstream(dir / "m.jsonl") << text;
  ManifestReader reader((dir / "m.jsonl").string());
  EXPECT_EQ(reader.header().dataset, "d");
  ASSERT_EQ(reader.header().categories.size(), 1u);
  EXPECT_TRUE(reader.header().categories.find(3)->isthing);
  std::ostringstream out;
  ManifestWriter writer(out);
  writer.write_header(reader.header().json);
  JsonDocument rec;
  int n = 0;
  while (reader.next(rec)) {
    writer.write_record(rec);
    EXPECT_EQ(reader.line(), 3);  // blank lines are skipped but counted
    ++n;
  }
  EXPECT_EQ(n, 1);
  std::string expected = text;
  expected.erase(expected.find("\n\n"), 1);
  EXPECT_EQ(out.str(), expected);
  EXPECT_EQ(reader.resolve("i/7.jpg"), (dir / "i/7.jpg").string());
}

TEST(Manifest, ErrorsNameFileLineAndColumn) {
  fs::path dir = test::temp_dir("manifest_err");
  std::ofstream(dir / "m.jsonl") << "{\"type\":\"header\",\"categories\":[]}\n{\"type\":\"image\",}\n";
  ManifestReader reader((dir / "m.jsonl").string());
  JsonDocument rec;
  try {
    reader.next(rec);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find("m.jsonl': line 2, column 17"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "h.jsonl") << "{\"type\":\"image\"}\n";
  EXPECT_THROW(ManifestReader((dir / "h.jsonl").string()), Error);
}

TEST(Synth, SameSeedSameDataAndConsistentSegments) {
  Progress::set_enabled(false);
  fs::path dir = test::temp_dir("synth_unit");
  SynthOptions o;
  o.images = 4, o.width = 96, o.height = 64, o.predictions = true, o.rgb_images = false, o.threads = 2;
  generate_synth(o, (dir / "a").string());
  o.threads = 1;
  generate_synth(o, (dir / "b").string());
  EXPECT_EQ(test::read_file(dir / "a/panoptic_pred.json"), test::read_file(dir / "b/panoptic_pred.json"));
  EXPECT_EQ(test::read_file(dir / "a/panoptic_gt/000000000003.png"), test::read_file(dir / "b/panoptic_gt/000000000003.png"));
  auto gt = CocoPanoptic::read((dir / "a/panoptic_gt.json").string());
  ASSERT_EQ(gt.annotations.size(), 4u);
  bool thing = false, stuff = false;
  for (const auto& a : gt.annotations)
    for (const auto& s : a.segments) {
      const Category* c = gt.categories.find(s.category_id);
      ASSERT_NE(c, nullptr);
      (c->isthing ? thing : stuff) = true;
    }
  EXPECT_TRUE(thing && stuff);
  o.seed = 2;
  generate_synth(o, (dir / "c").string());
  EXPECT_NE(test::read_file(dir / "a/panoptic_gt.json"), test::read_file(dir / "c/panoptic_gt.json"));
}

}  // namespace segx::dataset
