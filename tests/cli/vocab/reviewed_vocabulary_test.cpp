// The committed, reviewed vocabulary datasets/vocabularies/coco_panoptic+ade20k+cityscapes.json
// must be exactly what `segx vocab build` makes from datasets/ today: a change in the merge rules
// or the category lists shows up as a diff to review. SEGX_UPDATE_GOLDEN=1 rewrites the file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

TEST(ReviewedVocabulary, BuildReproducesTheCommittedFile) {
  const std::string root = SEGX_SOURCE_DIR;
  const auto golden = root + "/datasets/vocabularies/coco_panoptic+ade20k+cityscapes.json";
  auto r = run_segx({"vocab", "build", root + "/datasets/coco_panoptic.json",
                     root + "/datasets/ade20k.json", root + "/datasets/cityscapes.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (const char* update = std::getenv("SEGX_UPDATE_GOLDEN");
      update && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << r.out;
    GTEST_SKIP() << "rewrote " << golden;
  }
  EXPECT_EQ(r.out, read_file(golden)) << "review the change, then rerun with SEGX_UPDATE_GOLDEN=1";
  // And its diff against itself through the CLI is empty.
  auto d = run_segx({"vocab", "diff", "--exit-code", golden, golden});
  EXPECT_EQ(d.exit_code, 0) << d.out;
}

}  // namespace
}  // namespace segx::test
