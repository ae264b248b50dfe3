// Exact linear assignment (the Hungarian matching of Mask2Former's matcher): the same
// shortest-augmenting-path algorithm (Crouse 2016) as scipy.optimize.linear_sum_assignment, so
// that ties resolve the way the official training code resolves them.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

namespace segx::train {

struct Assignment {
  std::vector<int> rows;  // ascending
  std::vector<int> cols;  // cols[k] is the column assigned to rows[k]
};

// Minimum-cost assignment of a rows x cols cost matrix (row-major). Every row is assigned when
// rows <= cols, every column otherwise. Throws Error(DataError) on NaN or -inf costs.
Assignment linear_sum_assignment(const double* cost, int rows, int cols);
Assignment linear_sum_assignment(const std::vector<double>& cost, int rows, int cols);

}  // namespace segx::train
