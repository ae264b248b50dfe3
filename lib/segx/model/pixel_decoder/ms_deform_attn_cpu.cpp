// The sampling of multi-scale deformable attention on the CPU in one pass: for each query, head,
// level and point, the bilinear sample of the value map (grid_sample's rules: align_corners=False,
// zeros outside) weighted by its attention weight and summed into the output. The official CPU
// path (ms_deform_attn_core_pytorch) runs grid_sample per level into a [N*M, D, Lq, L*P] tensor,
// then stacks, multiplies and sums it; this computes the same sums without those tensors, the
// way the official CUDA kernel does (ms_deform_attn_im2col_bilinear), threaded over queries,
// with the inner loop built for AVX2 + FMA as well (ms_deform_attn_cpu_kernel.hpp).
#include <ATen/Parallel.h>

#include "segx/model/pixel_decoder/ms_deform_attn.hpp"
#include "segx/model/pixel_decoder/ms_deform_attn_cpu_kernel.hpp"

namespace segx::model {

#if defined(SEGX_HAVE_AVX2_BUILD)
void sample_queries_avx2(const SamplingArgs& args, std::int64_t begin, std::int64_t end);
#endif

namespace {

bool avx2_usable() {
#if defined(SEGX_HAVE_AVX2_BUILD)
  static const bool usable = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return usable;
#else
  return false;
#endif
}

}  // namespace

at::Tensor ms_deform_attn_sample_cpu(const at::Tensor& value, const SpatialShapes& shapes,
                                     const at::Tensor& reference_in, const at::Tensor& offsets_in,
                                     const at::Tensor& weights_in) {
  const auto by_head = value.permute({0, 2, 1, 3}).contiguous();  // [N, M, S, D]
  const auto reference = reference_in.contiguous();
  const auto offsets = offsets_in.contiguous();
  const auto weights = weights_in.contiguous();
  std::vector<SamplingLevel> levels;
  std::int64_t start = 0;
  for (const auto& [h, w] : shapes) {
    levels.push_back({h, w, start});
    start += h * w;
  }
  const std::int64_t n = value.size(0), m = value.size(2), d = value.size(3);
  const std::int64_t lq = offsets.size(1);
  auto out = at::zeros({n, lq, m * d}, value.options());
  const SamplingArgs args{by_head.data_ptr<float>(),
                          reference.data_ptr<float>(),
                          offsets.data_ptr<float>(),
                          weights.data_ptr<float>(),
                          out.data_ptr<float>(),
                          value.size(1),
                          m,
                          d,
                          lq,
                          offsets.size(3),
                          offsets.size(4),
                          levels.data()};
  const bool avx2 = avx2_usable();
  at::parallel_for(0, n * m * lq, 256, [&](std::int64_t begin, std::int64_t end) {
#if defined(SEGX_HAVE_AVX2_BUILD)
    if (avx2) return sample_queries_avx2(args, begin, end);
#endif
    sample_queries_any(args, begin, end);
  });
  (void)avx2;
  return out;
}

}  // namespace segx::model
