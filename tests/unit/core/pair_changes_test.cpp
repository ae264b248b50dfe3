// The run starts of two 8-bit rows, from each build of pair_change_bits, against a plain loop.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "segx/core/pair_changes.hpp"

namespace segx {
namespace {

std::vector<std::uint64_t> expected_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::vector<std::uint64_t> bits((n + 63) / 64, 0);
  for (std::size_t p = 0; p < n; ++p)
    if (p == 0 || a[p] != a[p - 1] || b[p] != b[p - 1]) bits[p / 64] |= std::uint64_t(1) << (p % 64);
  return bits;
}

// Rows of runs 1-70 long, at every offset from an aligned buffer and of widths around multiples
// of 64, where the word loop hands over to the tail.
void check_build(void (*build)(const std::uint8_t*, const std::uint8_t*, std::size_t, std::uint64_t*)) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(0, 3), run_length(1, 70);
  std::vector<std::uint8_t> a(2000), b(2000);
  for (auto* row : {&a, &b})
    for (std::size_t i = 0; i < row->size();) {
      const auto v = std::uint8_t(value(rng));
      for (int k = run_length(rng); k > 0 && i < row->size(); --k) (*row)[i++] = v;
    }
  for (std::size_t n : {1, 2, 63, 64, 65, 127, 128, 129, 640, 641, 1000}) {
    for (std::size_t offset = 0; offset < 40; offset += 7) {
      std::vector<std::uint64_t> bits((n + 63) / 64, ~std::uint64_t(0));
      build(a.data() + offset, b.data() + offset, n, bits.data());
      EXPECT_EQ(bits, expected_bits(a.data() + offset, b.data() + offset, n)) << "n " << n << " offset " << offset;
    }
  }
}

TEST(PairChanges, Sse2BuildFindsEveryRunStart) { check_build(detail::pair_change_bits_sse2); }

TEST(PairChanges, Avx2BuildFindsEveryRunStart) {
  if (!detail::avx2_build_usable()) GTEST_SKIP() << "no AVX2 build or no AVX2 on this CPU";
  check_build(detail::pair_change_bits_avx2);
}

}  // namespace
}  // namespace segx
