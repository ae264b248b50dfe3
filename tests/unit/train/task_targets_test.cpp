// Task targets from a small hand-made panoptic map, checked pixel by pixel.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "segx/core/error.hpp"
#include "segx/train/task_targets.hpp"

namespace segx::train {
namespace {

// 4x4 map: two "cat" instances (ids 1, 2), a crowd cat (3), "sky" stuff (7), void (0).
const std::uint32_t kIds[16] = {7, 7, 7, 7,  //
                                1, 1, 2, 2,  //
                                1, 0, 2, 3,  //
                                0, 0, 3, 3};
const std::vector<std::string> kNames = {"cat", "dog", "sky"};
const std::vector<SegmentInfo> kSegments = {
    {1, 0, false, true}, {2, 0, false, true}, {3, 0, true, true}, {7, 2, false, false}, {9, 1, false, true}};

TEST(TaskTargets, PanopticKeepsEveryNonCrowdSegmentPresent) {
  auto t = make_task_targets(kIds, 4, 4, kSegments, kNames, Task::Panoptic, 5);
  EXPECT_TRUE(torch::equal(t.labels, torch::tensor({0, 0, 2}, torch::kLong)));
  EXPECT_EQ(t.masks[0].sum().item<float>(), 3.0f);  // id 1
  EXPECT_EQ(t.masks[1].sum().item<float>(), 3.0f);  // id 2
  EXPECT_EQ(t.masks[2].sum().item<float>(), 4.0f);  // sky
  EXPECT_EQ(t.semantic[2][3].item<int64_t>(), 255);  // crowd pixels are ignored
  EXPECT_EQ(t.semantic[0][0].item<int64_t>(), 2);
  EXPECT_EQ(t.texts, (std::vector<std::string>{"a photo with a cat", "a photo with a cat", "a photo with a sky",
                                               "a panoptic photo", "a panoptic photo"}));
}

TEST(TaskTargets, InstanceKeepsThingsOnly) {
  auto t = make_task_targets(kIds, 4, 4, kSegments, kNames, Task::Instance, 3);
  EXPECT_TRUE(torch::equal(t.labels, torch::tensor({0, 0}, torch::kLong)));
  EXPECT_EQ(t.semantic[0][0].item<int64_t>(), 255);
  EXPECT_EQ(t.texts.back(), "an instance photo");
}

TEST(TaskTargets, SemanticMergesSegmentsOfOneClass) {
  auto t = make_task_targets(kIds, 4, 4, kSegments, kNames, Task::Semantic, 2);
  EXPECT_TRUE(torch::equal(t.labels, torch::tensor({0, 2}, torch::kLong)));
  EXPECT_EQ(t.masks[0].sum().item<float>(), 6.0f);
  EXPECT_EQ(t.texts, (std::vector<std::string>{"a photo with a cat", "a photo with a sky"}));
}

TEST(TaskTargets, RejectsClassOutsideTheLabelSpace) {
  std::vector<SegmentInfo> bad = {{1, 5, false, true}};
  EXPECT_THROW(make_task_targets(kIds, 4, 4, bad, kNames, Task::Panoptic, 2), Error);
}

TEST(TaskTargets, TaskDraw) {
  EXPECT_EQ(task_from_uniform(0.1), Task::Semantic);
  EXPECT_EQ(task_from_uniform(0.5), Task::Instance);
  EXPECT_EQ(task_from_uniform(0.9), Task::Panoptic);
  EXPECT_EQ(parse_task("instance"), Task::Instance);
  EXPECT_THROW(parse_task("depth"), Error);
}

}  // namespace
}  // namespace segx::train
