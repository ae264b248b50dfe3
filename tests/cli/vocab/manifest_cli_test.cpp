// `segx vocab` on a real segx manifest written by `segx convert panoptic2manifest`: the header is
// read with the dataset module's reader, apply's output is a valid manifest, and mapping back gives
// the same bytes.
#include <gtest/gtest.h>

#include <set>

#include "segx/dataset/manifest.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

TEST(VocabManifest, ConvertBuildApplyInverseIsByteIdentical) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("vocab");
  auto sample = fixtures_root() / "real/panopticapi_sample/panoptic_examples.json";
  auto m = (dir / "m.jsonl").string(), v = (dir / "v.json").string(),
       u = (dir / "u.jsonl").string(), back = (dir / "back.jsonl").string();
  ASSERT_EQ(run_segx({"convert", "panoptic2manifest", sample.string(), "--name", "coco_panoptic",
                      "-o", m})
                .exit_code,
            0);
  auto ade = std::string(SEGX_SOURCE_DIR) + "/datasets/ade20k.json";
  auto built = run_segx({"vocab", "build", ade, m, "-o", v});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  ASSERT_EQ(run_segx({"vocab", "apply", v, m, "-o", u}).exit_code, 0);
  auto inv = run_segx({"vocab", "apply", "--inverse", v, u, "-o", back});
  ASSERT_EQ(inv.exit_code, 0) << inv.err;
  EXPECT_EQ(read_file(back), read_file(m));

  // The unified manifest reads back with the dataset module; its ids are unified class ids.
  dataset::ManifestReader reader(u);
  EXPECT_EQ(reader.header().dataset, "coco_panoptic");
  EXPECT_EQ(reader.header().categories.size(), 247u);  // 150 ADE20K + 133 COCO - 36 shared names
  dataset::JsonDocument record;
  std::set<int64_t> ids;
  while (reader.next(record))
    for (const auto& s : record["segments_info"].GetArray())
      ids.insert(s["category_id"].GetInt64());
  ASSERT_FALSE(ids.empty());
  for (auto id : ids) EXPECT_NE(reader.header().categories.find(id), nullptr) << id;
  EXPECT_TRUE(ids.count(13));  // person: ADE20K's 13th class, COCO id 1 joins it

  auto check = run_segx({"vocab", "check", v, u});
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

}  // namespace
}  // namespace segx::test
