// pair_change_bits: the SSE2 build (every x86-64 CPU has SSE2; a plain loop on other CPUs) and
// the choice between it and the AVX2 build in pair_changes_avx2.cpp.
#include "segx/core/pair_changes.hpp"

#include "segx/core/error.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace segx {

namespace {

#include "segx/core/pair_changes_impl.hpp"

std::uint64_t changes64(const std::uint8_t* a, const std::uint8_t* b) {
  std::uint64_t changes = 0;
#if defined(__SSE2__)
  auto load = [](const std::uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  for (int k = 0; k < 64; k += 16) {
    const __m128i same = _mm_and_si128(_mm_cmpeq_epi8(load(a + k), load(a + k - 1)),
                                       _mm_cmpeq_epi8(load(b + k), load(b + k - 1)));
    changes |= std::uint64_t(~unsigned(_mm_movemask_epi8(same)) & 0xFFFFu) << k;
  }
#else
  for (int k = 0; k < 64; ++k)
    if (a[k] != a[k - 1] || b[k] != b[k - 1]) changes |= std::uint64_t(1) << k;
#endif
  return changes;
}

}  // namespace

namespace detail {

void pair_change_bits_sse2(const std::uint8_t* a, const std::uint8_t* b, std::size_t n,
                           std::uint64_t* bits) {
  fill_pair_change_bits(a, b, n, bits, changes64);
}

#if !defined(SEGX_HAVE_AVX2_BUILD)
void pair_change_bits_avx2(const std::uint8_t*, const std::uint8_t*, std::size_t, std::uint64_t*) {
  fail(ErrorKind::Internal, "segx was built without its AVX2 code");
}
#endif

bool avx2_build_usable() {
#if defined(SEGX_HAVE_AVX2_BUILD)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

}  // namespace detail

void pair_change_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::uint64_t* bits) {
  using Impl = void (*)(const std::uint8_t*, const std::uint8_t*, std::size_t, std::uint64_t*);
  static const Impl impl =
      detail::avx2_build_usable() ? detail::pair_change_bits_avx2 : detail::pair_change_bits_sse2;
  impl(a, b, n, bits);
}

}  // namespace segx
