// ms_deform_attn_cpu_kernel.hpp built with AVX2 and FMA (lib/CMakeLists.txt sets the flags for
// this file only); ms_deform_attn_cpu.cpp calls it where the CPU has both.
#include "segx/model/pixel_decoder/ms_deform_attn_cpu_kernel.hpp"

namespace segx::model {

void sample_queries_avx2(const SamplingArgs& args, std::int64_t begin, std::int64_t end) {
  sample_queries_any(args, begin, end);
}

}  // namespace segx::model
