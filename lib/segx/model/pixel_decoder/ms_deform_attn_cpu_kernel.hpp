// The inner loop of ms_deform_attn_sample_cpu, included by ms_deform_attn_cpu.cpp (built for the
// baseline x86-64 or any CPU) and by ms_deform_attn_cpu_avx2.cpp (built with AVX2 and FMA): the
// same source compiled twice, chosen at run time. Anonymous namespace on purpose: each file gets
// its own copy, so the two builds of one template never meet at link time.
#pragma once
#include <cmath>
#include <cstdint>

namespace segx::model {

// One level of the value map: its size and first row in the value tensor.
struct SamplingLevel {
  std::int64_t h, w, start;
};

// Raw pointers and sizes of one ms_deform_attn_sample_cpu call, all contiguous float32:
// value [N, M, S, D] (head-major: one head's map is one block, which the sampling of that head
// keeps in cache), reference [N, Lq, L, 2], offsets [N, Lq, M, L, P, 2], weights
// [N, Lq, M, L, P], out [N, Lq, M*D].
struct SamplingArgs {
  const float* value;
  const float* reference;
  const float* offsets;
  const float* weights;
  float* out;
  std::int64_t s, m, d, lq, levels, points;
  const SamplingLevel* level;
};

namespace {

// Samples work items [begin, end), item = (batch * M + head) * Lq + query: one head at a time
// over all queries. kD > 0 fixes the channels per head at compile time, so the accumulator lives
// in registers and the channel loop becomes vector FMAs; kD == 0 reads it from the arguments.
template <int kD>
void sample_queries(const SamplingArgs& a, std::int64_t begin, std::int64_t end) {
  const std::int64_t d = kD > 0 ? kD : a.d;
  for (std::int64_t item = begin; item < end; ++item) {
    const std::int64_t q = item % a.lq, bh = item / a.lq, h = bh % a.m, b = bh / a.m;
    const std::int64_t i = b * a.lq + q;  // the query's row in [N * Lq]
    const float* map = a.value + bh * a.s * d;
    float* out = a.out + (i * a.m + h) * d;
    float acc[kD > 0 ? kD : 1] = {};
    float* sum = kD > 0 ? acc : out;
    for (std::int64_t l = 0; l < a.levels; ++l) {
      const SamplingLevel& lv = a.level[l];
      const float* rows = map + lv.start * d;
      const float fw = static_cast<float>(lv.w), fh = static_cast<float>(lv.h);
      const float ref_x = a.reference[(i * a.levels + l) * 2];
      const float ref_y = a.reference[(i * a.levels + l) * 2 + 1];
      for (std::int64_t p = 0; p < a.points; ++p) {
        const std::int64_t k = ((i * a.m + h) * a.levels + l) * a.points + p;
        // Upstream's location (reference + offset / size), then grid_sample's unnormalisation
        // of grid = 2 * location - 1 (align_corners=False), in the same float operations.
        const float loc_x = ref_x + a.offsets[2 * k] / fw;
        const float loc_y = ref_y + a.offsets[2 * k + 1] / fh;
        const float gx = 2 * loc_x - 1, gy = 2 * loc_y - 1;
        const float x = ((gx + 1) * fw - 1) / 2, y = ((gy + 1) * fh - 1) / 2;
        if (!(x > -1 && y > -1 && x < fw && y < fh)) continue;  // no corner inside (or NaN)
        const auto x0 = static_cast<std::int64_t>(std::floor(x));
        const auto y0 = static_cast<std::int64_t>(std::floor(y));
        const float fx = x - static_cast<float>(x0), fy = y - static_cast<float>(y0);
        const float weight = a.weights[k];
        const float corner[4] = {(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx};
        for (int c = 0; c < 4; ++c) {
          const std::int64_t xx = x0 + (c & 1), yy = y0 + (c >> 1);
          if (xx < 0 || yy < 0 || xx >= lv.w || yy >= lv.h) continue;  // zeros outside
          const float coef = weight * corner[c];
          const float* v = rows + (yy * lv.w + xx) * d;
          for (std::int64_t j = 0; j < d; ++j) sum[j] += coef * v[j];
        }
      }
    }
    if constexpr (kD > 0)
      for (std::int64_t j = 0; j < kD; ++j) out[j] = acc[j];
  }
}

// The instantiation for the common channels per head (Mask2Former's 256 / 8 = 32).
inline void sample_queries_any(const SamplingArgs& a, std::int64_t begin, std::int64_t end) {
  switch (a.d) {
    case 8:
      return sample_queries<8>(a, begin, end);
    case 16:
      return sample_queries<16>(a, begin, end);
    case 32:
      return sample_queries<32>(a, begin, end);
    case 64:
      return sample_queries<64>(a, begin, end);
    default:
      return sample_queries<0>(a, begin, end);
  }
}

}  // namespace
}  // namespace segx::model
