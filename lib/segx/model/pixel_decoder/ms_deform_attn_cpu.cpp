// The sampling of multi-scale deformable attention on the CPU in one pass: for each query, head,
// level and point, the bilinear sample of the value map (grid_sample's rules: align_corners=False,
// zeros outside) weighted by its attention weight and summed into the output. The official CPU
// path (ms_deform_attn_core_pytorch) runs grid_sample per level into a [N*M, D, Lq, L*P] tensor,
// then stacks, multiplies and sums it; this computes the same sums without those tensors, the
// way the official CUDA kernel does (ms_deform_attn_im2col_bilinear), threaded over queries.
#include <ATen/Parallel.h>

#include <cmath>

#include "segx/model/pixel_decoder/ms_deform_attn.hpp"

namespace segx::model {
namespace {

struct Level {
  std::int64_t h, w, start;  // size and first row in the value tensor
};

// Adds weight * bilinear(value at x, y) to out[0..d) for one head of one level; `rows` points at
// pixel 0 of that head, consecutive pixels `stride` floats apart.
inline void add_bilinear(const float* rows, std::int64_t stride, const Level& lv, float x, float y,
                         float weight, std::int64_t d, float* out) {
  if (!(x > -1 && y > -1 && x < lv.w && y < lv.h)) return;  // all four corners outside (or NaN)
  const auto x0 = static_cast<std::int64_t>(std::floor(x));
  const auto y0 = static_cast<std::int64_t>(std::floor(y));
  const float fx = x - static_cast<float>(x0), fy = y - static_cast<float>(y0);
  const float corner_weight[4] = {(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx};
  for (int c = 0; c < 4; ++c) {
    const std::int64_t xx = x0 + (c & 1), yy = y0 + (c >> 1);
    if (xx < 0 || yy < 0 || xx >= lv.w || yy >= lv.h) continue;
    const float k = weight * corner_weight[c];
    const float* v = rows + (yy * lv.w + xx) * stride;
    for (std::int64_t j = 0; j < d; ++j) out[j] += k * v[j];
  }
}

}  // namespace

at::Tensor ms_deform_attn_sample_cpu(const at::Tensor& value_in, const SpatialShapes& shapes,
                                     const at::Tensor& locations_in, const at::Tensor& weights_in) {
  const auto value = value_in.contiguous();
  const auto locations = locations_in.contiguous();
  const auto weights = weights_in.contiguous();
  const std::int64_t n = value.size(0), s = value.size(1), m = value.size(2), d = value.size(3);
  const std::int64_t lq = locations.size(1), nl = locations.size(3), np = locations.size(4);
  std::vector<Level> levels;
  std::int64_t start = 0;
  for (const auto& [h, w] : shapes) {
    levels.push_back({h, w, start});
    start += h * w;
  }
  auto out = at::zeros({n, lq, m * d}, value.options());
  const float* v = value.data_ptr<float>();
  const float* loc = locations.data_ptr<float>();
  const float* aw = weights.data_ptr<float>();
  float* o = out.data_ptr<float>();
  const std::int64_t stride = m * d;  // floats between two pixels of one head
  at::parallel_for(0, n * lq, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const float* batch = v + (i / lq) * s * stride;
      for (std::int64_t h = 0; h < m; ++h) {
        for (std::int64_t l = 0; l < nl; ++l) {
          const Level& lv = levels[static_cast<std::size_t>(l)];
          const float* rows = batch + lv.start * stride + h * d;
          for (std::int64_t p = 0; p < np; ++p) {
            const std::int64_t k = ((i * m + h) * nl + l) * np + p;
            // grid_sample's unnormalisation of grid = 2 * loc - 1, as the official path feeds it.
            const float gx = 2 * loc[2 * k] - 1, gy = 2 * loc[2 * k + 1] - 1;
            const float x = ((gx + 1) * static_cast<float>(lv.w) - 1) / 2;
            const float y = ((gy + 1) * static_cast<float>(lv.h) - 1) / 2;
            add_bilinear(rows, stride, lv, x, y, aw[k], d, o + i * stride + h * d);
          }
        }
      }
    }
  });
  return out;
}

}  // namespace segx::model
