// Tests on blocks of 16 values, the inner step of the run scans over label maps (row runs,
// PQ overlap counting, mIoU pair runs): 16 labels rarely change, so one test usually skips them all.
// (The 8-bit pair runs of mIoU take their run starts from core/pair_changes.hpp.)
// SSE2 where the compiler targets it (every x86-64), a plain loop elsewhere; the compiler does not
// vectorise the plain loop by itself.
#pragma once
#include <cstddef>
#include <cstdint>

#include "segx/core/pair_changes.hpp"

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

// Calls visit(a_value, b_value, begin, length) for each run of equal value pairs in the first n
// positions of a and b, left to right, until visit returns false; returns false when it did.
// In 8-bit rows (semantic PNGs) run starts are found 16-32 positions per compare and visited
// from a bit mask: no restart of the scan after each run, one branch per run.
template <typename A, typename B, typename Visit>
bool for_each_pair_run(const A* a, const B* b, std::size_t n, Visit&& visit) {
  if (n == 0) return true;
  std::size_t begin = 0;
  auto run_ends_at = [&](std::size_t end) {
    const bool go_on = visit(a[begin], b[begin], begin, end - begin);
    begin = end;
    return go_on;
  };
  if constexpr (sizeof(A) == 1 && sizeof(B) == 1) {
    constexpr std::size_t kChunk = 4096;
    std::uint64_t bits[kChunk / 64];
    for (std::size_t x0 = 0; x0 < n; x0 += kChunk) {
      const std::size_t len = n - x0 < kChunk ? n - x0 : kChunk;
      pair_change_bits(reinterpret_cast<const std::uint8_t*>(a + x0),
                       reinterpret_cast<const std::uint8_t*>(b + x0), len, bits);
      // The chunk's first position starts a run only if it differs from the one before it.
      bits[0] = (bits[0] & ~std::uint64_t(1)) |
                std::uint64_t(x0 > 0 && (a[x0] != a[x0 - 1] || b[x0] != b[x0 - 1]));
      for (std::size_t w = 0; w < (len + 63) / 64; ++w)
        for (std::uint64_t starts = bits[w]; starts != 0; starts &= starts - 1)
          if (!run_ends_at(x0 + 64 * w + std::size_t(__builtin_ctzll(starts)))) return false;
    }
  } else {
    for (std::size_t x = 1; x < n; ++x)
      if ((a[x] != a[x - 1] || b[x] != b[x - 1]) && !run_ends_at(x)) return false;
  }
  return run_ends_at(n);
}

}  // namespace segx
