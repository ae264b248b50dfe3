// Shard specs, positions, thresholds and the PQ partial file round trip.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/metrics/pq_report.hpp"
#include "segx/metrics/thresholds.hpp"

namespace segx::metrics {
namespace {

TEST(Shard, ParsesAndSplitsRoundRobin) {
  auto s = parse_shard("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(shard_positions(8, s), (std::vector<std::size_t>{1, 4, 7}));
  for (const char* bad : {"0/3", "4/3", "2", "2/", "/3", "a/b", "2/3x", "-1/2"})
    EXPECT_THROW(parse_shard(bad), Error) << bad;
}

TEST(Thresholds, FractionsPercentsAndUnknownMetrics) {
  const std::map<std::string, double> m = {{"PQ", 0.6}, {"SQ", 0.8}};
  EXPECT_DOUBLE_EQ(parse_threshold("PQ=55%", m).value, 0.55);
  EXPECT_TRUE(check_thresholds({parse_threshold("PQ=0.6", m)}, m).empty());
  EXPECT_EQ(check_thresholds({parse_threshold("SQ=0.81", m)}, m).size(), 1u);
  EXPECT_THROW(parse_threshold("XQ=1", m), Error);
  EXPECT_THROW(parse_threshold("PQ=abc", m), Error);
  EXPECT_THROW(parse_threshold("PQ", m), Error);
}

TEST(PqPartial, RoundTripsExactly) {
  PqPartial p;
  p.shard = {2, 4};
  p.total_images = 9;
  p.header = {{"segx_version", "x"}};
  p.categories = {{1, "person", true}, {7, "sky", false}};
  PanopticImageResult img;
  img.index = 1;
  img.image_id = "139";
  img.file_name = "139.png";
  img.stats[1].tp = 3;
  img.stats[1].iou.add(0.75);
  img.stats[1].iou.add(0.9999999999999999);
  img.stats[7].fn = 2;
  p.images.push_back(img);
  const auto back = pq_partial_from_json(nlohmann::json::parse(pq_partial_json(p).dump()), "p.json");
  EXPECT_EQ(back.shard.index, 2);
  EXPECT_EQ(back.total_images, 9u);
  ASSERT_EQ(back.images.size(), 1u);
  EXPECT_EQ(back.images[0].image_id, "139");
  EXPECT_TRUE(back.images[0].stats == img.stats);
  EXPECT_THROW(pq_partial_from_json(nlohmann::json::parse(R"({"format":"x"})"), "bad.json"), Error);
}

}  // namespace
}  // namespace segx::metrics
