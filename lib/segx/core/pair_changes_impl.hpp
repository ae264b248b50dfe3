// The word loop of pair_change_bits, shared by the SSE2 and AVX2 builds of it. Included inside an
// unnamed namespace by each (pair_changes.cpp, pair_changes_avx2.cpp): the AVX2 file is compiled
// with -mavx2, and nothing it compiles may be shared with code that runs on any CPU.
// Changes64(a, b) returns the 64 change bits of positions 0..63 of a and b, comparing each with
// the position before it (so a[-1] and b[-1] must be readable).

template <typename Changes64>
void fill_pair_change_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t n,
                           std::uint64_t* bits, Changes64 changes64) {
  const std::size_t words = (n + 63) / 64;
  std::size_t w = 0;
  if (n > 64) {
    // Word 0 has no position before it: compare positions 1..64 and shift (position 0 starts
    // a run; position 64's bit falls off and is word 1's).
    bits[0] = changes64(a + 1, b + 1) << 1 | 1u;
    for (w = 1; (w + 1) * 64 <= n; ++w) bits[w] = changes64(a + 64 * w, b + 64 * w);
  }
  for (; w < words; ++w) {  // the last part of a row that is not a multiple of 64 wide
    std::uint64_t word = 0;
    const std::size_t end = n < 64 * w + 64 ? n : 64 * w + 64;
    for (std::size_t p = 64 * w; p < end; ++p)
      if (p == 0 || a[p] != a[p - 1] || b[p] != b[p - 1]) word |= std::uint64_t(1) << (p - 64 * w);
    bits[w] = word;
  }
}
