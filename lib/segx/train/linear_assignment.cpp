// Rectangular linear sum assignment by shortest augmenting paths (after scipy's rectangular_lsap).
#include "segx/train/linear_assignment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "segx/core/error.hpp"

namespace segx::train {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Dual variables and partial matching carried across augmentations.
struct Solver {
  int nr, nc;
  const std::vector<double>& cost;  // nr x nc, nr <= nc
  std::vector<double> u, v, shortest;
  std::vector<int> path, col4row, row4col, remaining;
  std::vector<char> sr, sc;

  Solver(const std::vector<double>& c, int rows, int cols)
      : nr(rows), nc(cols), cost(c), u(rows, 0), v(cols, 0), shortest(cols),
        path(cols, -1), col4row(rows, -1), row4col(cols, -1), remaining(cols), sr(rows), sc(cols) {}

  // Finds the shortest augmenting path from free row i; returns the sink column and its cost.
  int augment(int i, double& min_val) {
    min_val = 0;
    int num_remaining = nc;
    // Filled in reverse so that ties pick the lowest column index, as scipy does.
    for (int it = 0; it < nc; ++it) remaining[it] = nc - it - 1;
    std::fill(sr.begin(), sr.end(), 0);
    std::fill(sc.begin(), sc.end(), 0);
    std::fill(shortest.begin(), shortest.end(), kInf);
    int sink = -1;
    while (sink == -1) {
      int index = -1;
      double lowest = kInf;
      sr[i] = 1;
      for (int it = 0; it < num_remaining; ++it) {
        int j = remaining[it];
        double r = min_val + cost[static_cast<std::size_t>(i) * nc + j] - u[i] - v[j];
        if (r < shortest[j]) {
          path[j] = i;
          shortest[j] = r;
        }
        // Prefer an unassigned column on ties: it ends the search sooner.
        if (shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1)) {
          lowest = shortest[j];
          index = it;
        }
      }
      min_val = lowest;
      if (min_val == kInf) return -1;  // infeasible (only +inf entries left)
      int j = remaining[index];
      if (row4col[j] == -1) sink = j;
      else i = row4col[j];
      sc[j] = 1;
      remaining[index] = remaining[--num_remaining];
    }
    return sink;
  }

  void solve() {
    for (int cur = 0; cur < nr; ++cur) {
      double min_val = 0;
      int sink = augment(cur, min_val);
      if (sink < 0) fail(ErrorKind::DataError, "linear assignment: cost matrix is infeasible");
      u[cur] += min_val;
      for (int i = 0; i < nr; ++i)
        if (sr[i] && i != cur) u[i] += min_val - shortest[col4row[i]];
      for (int j = 0; j < nc; ++j)
        if (sc[j]) v[j] -= min_val - shortest[j];
      for (int j = sink;;) {
        int i = path[j];
        row4col[j] = i;
        std::swap(col4row[i], j);
        if (i == cur) break;
      }
    }
  }
};

}  // namespace

Assignment linear_sum_assignment(const double* cost, int rows, int cols) {
  Assignment out;
  if (rows == 0 || cols == 0) return out;
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  for (std::size_t k = 0; k < n; ++k)
    if (std::isnan(cost[k]) || cost[k] == -kInf)
      fail(ErrorKind::DataError, "linear assignment: cost matrix contains NaN or -inf");
  // The solver wants rows <= cols; solve the transpose otherwise.
  const bool transpose = rows > cols;
  std::vector<double> c(n);
  if (transpose) {
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) c[static_cast<std::size_t>(j) * rows + i] = cost[static_cast<std::size_t>(i) * cols + j];
  } else {
    std::copy(cost, cost + n, c.begin());
  }
  Solver solver(c, transpose ? cols : rows, transpose ? rows : cols);
  solver.solve();
  if (!transpose) {
    out.rows.resize(rows);
    std::iota(out.rows.begin(), out.rows.end(), 0);
    out.cols = solver.col4row;
  } else {
    // Report pairs in ascending order of the original rows.
    std::vector<int> order(cols);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return solver.col4row[a] < solver.col4row[b]; });
    for (int k : order) {
      out.rows.push_back(solver.col4row[k]);
      out.cols.push_back(k);
    }
  }
  return out;
}

Assignment linear_sum_assignment(const std::vector<double>& cost, int rows, int cols) {
  if (cost.size() != static_cast<std::size_t>(rows) * cols)
    fail(ErrorKind::Internal, "linear assignment: cost has {} entries, expected {}x{}", cost.size(), rows, cols);
  return linear_sum_assignment(cost.data(), rows, cols);
}

}  // namespace segx::train
