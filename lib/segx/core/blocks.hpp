// Tests on blocks of 16 values, the inner step of the run scans over label maps (row runs,
// PQ overlap counting, mIoU pair runs): 16 labels rarely change, so one test usually skips them all.
// SSE2 where the compiler targets it (every x86-64), a plain loop elsewhere; the compiler does not
// vectorise the plain loop by itself.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace segx {

// True when the 16 values at a all equal v.
inline bool all16(const std::uint32_t* a, std::uint32_t v) {
#if defined(__SSE2__)
  const __m128i value = _mm_set1_epi32(static_cast<int>(v));
  __m128i diff = _mm_setzero_si128();
  for (int k = 0; k < 16; k += 4)
    diff = _mm_or_si128(diff, _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k)), value));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(diff, _mm_setzero_si128())) == 0xFFFF;
#else
  std::uint32_t diff = 0;
  for (int k = 0; k < 16; ++k) diff |= a[k] ^ v;
  return diff == 0;
#endif
}

// How many of the 16 positions from the start have a[k] == va and b[k] == vb (16: all of them).
inline int leading_equal16(const std::uint32_t* a, std::uint32_t va, const std::uint32_t* b,
                           std::uint32_t vb) {
#if defined(__SSE2__)
  const __m128i want_a = _mm_set1_epi32(static_cast<int>(va));
  const __m128i want_b = _mm_set1_epi32(static_cast<int>(vb));
  unsigned equal = 0;  // bit k set when position k matches on both sides
  for (int k = 0; k < 16; k += 4) {
    const __m128i ea = _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k)), want_a);
    const __m128i eb = _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k)), want_b);
    equal |= unsigned(_mm_movemask_ps(_mm_castsi128_ps(_mm_and_si128(ea, eb)))) << k;
  }
  return equal == 0xFFFFu ? 16 : __builtin_ctz(~equal);
#else
  int k = 0;
  while (k < 16 && a[k] == va && b[k] == vb) ++k;
  return k;
#endif
}

// The runs of equal values in one row of `width` labels: run i has value ids[i] and ends before
// column ends[i] (both arrays need room for `width`). Returns the number of runs.
inline std::size_t row_runs(const std::uint32_t* row, std::size_t width, std::uint32_t* ids,
                            std::uint32_t* ends) {
  std::size_t n = 0;
  for (std::size_t x = 0; x < width;) {
    const std::uint32_t id = row[x];
    std::size_t end = x + 1;
    while (end + 16 <= width && all16(row + end, id)) end += 16;
    while (end < width && row[end] == id) ++end;
    ids[n] = id, ends[n++] = std::uint32_t(end);
    x = end;
  }
  return n;
}

// The end of the run that starts at position i where a[k] == a[i] and b[k] == b[i], searched
// up to `end`. 8-bit label maps (semantic PNGs) are compared 16 pixels at a time.
template <typename A, typename B>
std::size_t pair_run_end(const A* a, const B* b, std::size_t i, std::size_t end) {
  const A va = a[i];
  const B vb = b[i];
  std::size_t j = i + 1;
#if defined(__SSE2__)
  if constexpr (sizeof(A) == 1 && sizeof(B) == 1) {
    const __m128i want_a = _mm_set1_epi8(static_cast<char>(va));
    const __m128i want_b = _mm_set1_epi8(static_cast<char>(vb));
    while (j + 16 <= end) {
      const __m128i ea = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j)), want_a);
      const __m128i eb = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + j)), want_b);
      const unsigned equal = unsigned(_mm_movemask_epi8(_mm_and_si128(ea, eb)));
      if (equal != 0xFFFFu) return j + std::size_t(__builtin_ctz(~equal));
      j += 16;
    }
  }
#endif
  while (j < end && a[j] == va && b[j] == vb) ++j;
  return j;
}

}  // namespace segx
