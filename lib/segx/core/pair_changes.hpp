// Where runs of equal value pairs start in two rows of 8-bit labels (a GT row and a prediction
// row of semantic PNGs): the inner step of mIoU counting, which looks each run's pair up once.
#pragma once
#include <cstddef>
#include <cstdint>

namespace segx {

// Sets bit p % 64 of bits[p / 64], for every p in [0, n), to whether a run starts there: p == 0
// or (a[p], b[p]) != (a[p - 1], b[p - 1]). `bits` must hold (n + 63) / 64 words.
// Compares 32 positions at a time with AVX2 where the CPU has it (chosen once, at first use),
// 16 with SSE2 otherwise.
void pair_change_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::uint64_t* bits);

namespace detail {
// The two builds, for tests that check each: the AVX2 one exists where avx2_build() says so (and
// may run only where the CPU has AVX2).
void pair_change_bits_sse2(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::uint64_t* bits);
void pair_change_bits_avx2(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::uint64_t* bits);
bool avx2_build_usable();  // built, and the CPU has AVX2
}  // namespace detail

}  // namespace segx
