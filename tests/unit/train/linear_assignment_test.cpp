// The assignment solver against brute force over every injective mapping on small random matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "segx/core/error.hpp"
#include "segx/train/linear_assignment.hpp"

namespace segx::train {
namespace {

// The minimum total cost over all ways to assign min(rows, cols) distinct pairs.
double brute_force_min(const std::vector<double>& cost, int rows, int cols) {
  const bool transpose = rows > cols;
  int small = transpose ? cols : rows, large = transpose ? rows : cols;
  auto at = [&](int s, int l) {
    return transpose ? cost[static_cast<std::size_t>(l) * cols + s] : cost[static_cast<std::size_t>(s) * cols + l];
  };
  std::vector<int> perm(large);
  std::iota(perm.begin(), perm.end(), 0);
  double best = INFINITY;
  do {
    double total = 0;
    for (int s = 0; s < small; ++s) total += at(s, perm[s]);
    best = std::min(best, total);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(LinearAssignment, MatchesBruteForceOnRandomRectangularMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-5.0, 5.0);
  std::uniform_int_distribution<int> small_int(0, 3);  // many ties
  for (int trial = 0; trial < 300; ++trial) {
    int rows = 1 + trial % 6, cols = 1 + (trial / 6) % 6;
    std::vector<double> cost(static_cast<std::size_t>(rows) * cols);
    for (auto& c : cost) c = trial % 2 ? uniform(rng) : small_int(rng);
    Assignment a = linear_sum_assignment(cost, rows, cols);
    ASSERT_EQ(a.rows.size(), static_cast<std::size_t>(std::min(rows, cols)));
    ASSERT_TRUE(std::is_sorted(a.rows.begin(), a.rows.end()));
    std::vector<int> used_cols = a.cols;
    std::sort(used_cols.begin(), used_cols.end());
    ASSERT_EQ(std::adjacent_find(used_cols.begin(), used_cols.end()), used_cols.end()) << "column used twice";
    double total = 0;
    for (std::size_t k = 0; k < a.rows.size(); ++k) total += cost[static_cast<std::size_t>(a.rows[k]) * cols + a.cols[k]];
    EXPECT_NEAR(total, brute_force_min(cost, rows, cols), 1e-9) << rows << "x" << cols << " trial " << trial;
  }
}

TEST(LinearAssignment, KnownSquareCase) {
  // scipy.optimize.linear_sum_assignment's documented example: rows 0,1,2 -> cols 1,0,2, cost 5.
  std::vector<double> cost = {4, 1, 3, 2, 0, 5, 3, 2, 2};
  Assignment a = linear_sum_assignment(cost, 3, 3);
  EXPECT_EQ(a.cols, (std::vector<int>{1, 0, 2}));
}

TEST(LinearAssignment, RejectsNaN) {
  std::vector<double> cost = {1, NAN, 2, 3};
  EXPECT_THROW(linear_sum_assignment(cost, 2, 2), Error);
}

TEST(LinearAssignment, EmptyMatrix) {
  EXPECT_TRUE(linear_sum_assignment(std::vector<double>{}, 0, 3).rows.empty());
}

}  // namespace
}  // namespace segx::train
