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

// Raw pointers and sizes of one ms_deform_attn_sample_cpu call (value [N, S, M, D], locations
// [N, Lq, M, L, P, 2], weights [N, Lq, M, L, P], out [N, Lq, M*D]; all contiguous float32).
struct SamplingArgs {
  const float* value;
  const float* locations;
  const float* weights;
  float* out;
  std::int64_t s, m, d, lq, levels, points;
  const SamplingLevel* level;
};

namespace {

// Samples queries [begin, end). kD > 0 fixes the channels per head at compile time, so the
// accumulator lives in registers and the channel loop is unrolled into vector FMAs; kD == 0
// reads it from the arguments.
template <int kD>
void sample_queries(const SamplingArgs& a, std::int64_t begin, std::int64_t end) {
  const std::int64_t d = kD > 0 ? kD : a.d;
  const std::int64_t stride = a.m * d;  // floats between two pixels of one head
  for (std::int64_t i = begin; i < end; ++i) {
    const float* batch = a.value + (i / a.lq) * a.s * stride;
    for (std::int64_t h = 0; h < a.m; ++h) {
      float* out = a.out + i * stride + h * d;
      float acc[kD > 0 ? kD : 1] = {};
      float* sum = kD > 0 ? acc : out;
      for (std::int64_t l = 0; l < a.levels; ++l) {
        const SamplingLevel& lv = a.level[l];
        const float* rows = batch + lv.start * stride + h * d;
        const float fw = static_cast<float>(lv.w), fh = static_cast<float>(lv.h);
        for (std::int64_t p = 0; p < a.points; ++p) {
          const std::int64_t k = ((i * a.m + h) * a.levels + l) * a.points + p;
          // grid_sample's unnormalisation of grid = 2 * loc - 1 (align_corners=False).
          const float gx = 2 * a.locations[2 * k] - 1, gy = 2 * a.locations[2 * k + 1] - 1;
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
            const float* v = rows + (yy * lv.w + xx) * stride;
            for (std::int64_t j = 0; j < d; ++j) sum[j] += coef * v[j];
          }
        }
      }
      if constexpr (kD > 0)
        for (std::int64_t j = 0; j < kD; ++j) out[j] = acc[j];
    }
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
