// The LR schedule against detectron2's formula and the weighted sampler's rates over many draws.
#include <gtest/gtest.h>

#include <cmath>

#include "segx/core/error.hpp"
#include "segx/train/lr_schedule.hpp"
#include "segx/train/weighted_sampler.hpp"

namespace segx::train {
namespace {

TEST(PolySchedule, WarmupThenPolyDecay) {
  PolySchedule s{1e-4, 1000, 0.9, 10, 0.001, 0.0};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 1e-4 * 0.001);
  // Halfway through warmup: factor 0.001*0.5 + 0.5, times the poly term.
  EXPECT_DOUBLE_EQ(s.lr_at(5), 1e-4 * (0.001 * 0.5 + 0.5) * std::pow(1 - 5.0 / 1000, 0.9));
  EXPECT_DOUBLE_EQ(s.lr_at(500), 1e-4 * std::pow(0.5, 0.9));
  EXPECT_DOUBLE_EQ(s.lr_at(1000), 0.0);
  EXPECT_GT(s.lr_at(100), s.lr_at(101));
}

TEST(WeightedSampler, HonoursRatesOverManyDraws) {
  WeightedSampler sampler({1.0, 3.0, 0.5});
  std::vector<int> counts(3);
  const int n = 200000;
  for (int i = 0; i < n; ++i) counts[sampler.draw(42, i)]++;
  const double expected[3] = {1.0 / 4.5, 3.0 / 4.5, 0.5 / 4.5};
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(counts[k] / double(n), expected[k], 0.005) << k;
}

TEST(WeightedSampler, IsAPureFunctionOfItsKeys) {
  WeightedSampler sampler({1.0, 1.0, 1.0});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sampler.draw(7, i, 2), sampler.draw(7, i, 2));
  int differ = 0;
  for (int i = 0; i < 100; ++i) differ += sampler.draw(7, i) != sampler.draw(8, i);
  EXPECT_GT(differ, 30);
}

TEST(WeightedSampler, RejectsZeroOrNegativeRates) {
  EXPECT_THROW(WeightedSampler({1.0, 0.0}), Error);
  EXPECT_THROW(WeightedSampler({-1.0}), Error);
  EXPECT_THROW(WeightedSampler({}), Error);
}

}  // namespace
}  // namespace segx::train
