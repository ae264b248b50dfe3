// The query-text contrastive loss against a direct element-by-element computation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "segx/train/contrastive_loss.hpp"

namespace segx::train {
namespace {

using Rows = std::vector<std::vector<double>>;

Rows unit_rows(const torch::Tensor& x) {
  auto flat = x.to(torch::kDouble).reshape({x.size(0), -1});
  Rows out(flat.size(0));
  for (int64_t i = 0; i < flat.size(0); ++i) {
    double norm = 0;
    for (int64_t k = 0; k < flat.size(1); ++k) norm += std::pow(flat[i][k].item<double>(), 2);
    for (int64_t k = 0; k < flat.size(1); ++k) out[i].push_back(flat[i][k].item<double>() / std::sqrt(norm));
  }
  return out;
}

// Mean over rows i of -log softmax_j(scale * <a_i, b_j>) at j = i + offset.
double cross_entropy(const Rows& a, const Rows& b, double scale, std::size_t offset) {
  double total = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::vector<double> z;
    for (const auto& row : b) {
      double dot = 0;
      for (std::size_t k = 0; k < row.size(); ++k) dot += a[i][k] * row[k];
      z.push_back(scale * dot);
    }
    double sum = 0;
    for (double v : z) sum += std::exp(v);
    total += std::log(sum) - z[i + offset];
  }
  return total / static_cast<double>(a.size());
}

TEST(ContrastiveLoss, EqualsDirectComputation) {
  torch::manual_seed(5);
  auto queries = torch::randn({4, 6, 8});
  auto texts = torch::randn({4, 6, 8});
  auto scale = initial_logit_scale(0.07);
  EXPECT_NEAR(scale.item<double>(), std::log(1 / 0.07), 1e-6);
  auto a = unit_rows(queries), b = unit_rows(texts);
  const double s = std::exp(scale.item<double>());
  double expected = cross_entropy(a, b, s, 0) + cross_entropy(b, a, s, 0);
  EXPECT_NEAR(query_text_contrastive_loss(queries, texts, scale).item<double>(), expected, 1e-4 * expected);
}

TEST(ContrastiveLoss, TemperatureIsClampedAt100AndLearnable) {
  torch::manual_seed(6);
  auto queries = torch::randn({3, 2, 5});
  auto texts = torch::randn({3, 5, 2});  // same flattened length, different shape
  auto big = torch::full({}, 6.0f);     // exp(6) > 100
  auto a = unit_rows(queries), b = unit_rows(texts);
  double expected = cross_entropy(a, b, 100, 0) + cross_entropy(b, a, 100, 0);
  EXPECT_NEAR(query_text_contrastive_loss(queries, texts, big).item<double>(), expected, 1e-4 * expected);

  auto scale = initial_logit_scale(0.5).requires_grad_(true);
  auto q = queries.clone().requires_grad_(true);
  query_text_contrastive_loss(q, texts, scale).backward();
  ASSERT_TRUE(scale.grad().defined());
  EXPECT_NE(scale.grad().item<float>(), 0);
  EXPECT_GT(q.grad().abs().sum().item<float>(), 0);
}

TEST(ContrastiveLoss, GatheredRowsUseTheProcessOffset) {
  torch::manual_seed(7);
  auto all_q = torch::randn({6, 10}), all_t = torch::randn({6, 10});
  auto scale = initial_logit_scale();
  auto aq = normalized_rows(all_q), at_ = normalized_rows(all_t);
  // This process holds rows 2..3 of the gathered batch.
  auto got = contrastive_loss_from_rows(aq.narrow(0, 2, 2), at_.narrow(0, 2, 2), aq, at_, 2, scale);
  auto a = unit_rows(all_q.narrow(0, 2, 2)), b = unit_rows(all_t.narrow(0, 2, 2));
  auto ga = unit_rows(all_q), gb = unit_rows(all_t);
  const double s = std::exp(scale.item<double>());
  double expected = cross_entropy(a, gb, s, 2) + cross_entropy(b, ga, s, 2);
  EXPECT_NEAR(got.item<double>(), expected, 1e-4 * expected);
}

}  // namespace
}  // namespace segx::train
