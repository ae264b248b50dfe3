// pair_change_bits, AVX2 build: 32 positions per compare. This file alone is compiled with
// -mavx2 (lib/CMakeLists.txt, x86-64 only) and runs only where the CPU reports AVX2; it includes
// no header whose inline functions could be shared with the rest of segx.
#if defined(SEGX_HAVE_AVX2_BUILD)
#include <cstddef>
#include <cstdint>
#include <immintrin.h>

namespace segx {

namespace {

#include "segx/core/pair_changes_impl.hpp"

std::uint64_t changes64(const std::uint8_t* a, const std::uint8_t* b) {
  auto load = [](const std::uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
  auto changes32 = [&](int k) {
    const __m256i same = _mm256_and_si256(_mm256_cmpeq_epi8(load(a + k), load(a + k - 1)),
                                          _mm256_cmpeq_epi8(load(b + k), load(b + k - 1)));
    return std::uint64_t(~std::uint32_t(_mm256_movemask_epi8(same)));
  };
  return changes32(0) | changes32(32) << 32;
}

}  // namespace

namespace detail {
void pair_change_bits_avx2(const std::uint8_t* a, const std::uint8_t* b, std::size_t n,
                           std::uint64_t* bits) {
  fill_pair_change_bits(a, b, n, bits, changes64);
}
}  // namespace detail

}  // namespace segx
#endif
