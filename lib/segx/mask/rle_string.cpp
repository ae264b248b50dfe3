// The compressed `counts` string of COCO RLE: each count (from the fourth on, its difference to
// the count two places before) as a little-endian sequence of 5-bit groups, sign in the last
// group, 6 bits per character offset by '0'. Byte-identical to pycocotools.
#include <algorithm>
#include <cstdint>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/mask/rle.hpp"

namespace segx::mask {

std::size_t write_string(const Rle& rle, char* const begin) {
  // Writing through a pointer into room for the worst case avoids a capacity check per character.
  char* out = begin;
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    int64_t x = rle.counts[i];
    if (i > 2) x -= int64_t(rle.counts[i - 2]);
    for (;;) {
      int c = int(x & 0x1f);
      x >>= 5;  // arithmetic shift: negative differences end in -1
      const bool more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      *out++ = char(c + 48);
      if (!more) break;
    }
  }
  return std::size_t(out - begin);
}

std::string to_string(const Rle& rle) {
  std::string s(rle.counts.size() * kMaxCharsPerCount, '\0');
  s.resize(write_string(rle, s.data()));
  return s;
}

void decode_string(std::string_view text, uint32_t height, uint32_t width, Rle& rle) {
  check_pixels(width, height, "RLE", "mask");
  rle.height = height;
  rle.width = width;
  rle.counts.clear();
  // Exactly the room needed: each value ends in a character without the continuation bit
  // ('0'..'O'). Reserving one count per character held about three times the memory.
  rle.counts.reserve(size_t(std::count_if(text.begin(), text.end(), [](char ch) {
    return unsigned(static_cast<unsigned char>(ch)) - 48u < 32u;
  })));
  size_t p = 0;
  while (p < text.size()) {
    int64_t x = 0;
    int shift = 0;
    for (;;) {
      if (p >= text.size()) fail(ErrorKind::DataError, "RLE counts string ends inside a value");
      const int c = int(static_cast<unsigned char>(text[p])) - 48;
      if (c < 0 || c > 63)
        fail(ErrorKind::DataError, "RLE counts string has an invalid character '{}'", text[p]);
      if (shift > 40) fail(ErrorKind::DataError, "RLE counts string has an overlong value");
      x |= int64_t(c & 0x1f) << shift;
      shift += 5;
      ++p;
      if (!(c & 0x20)) {
        if (c & 0x10) x |= -(int64_t(1) << shift);  // sign-extend
        break;
      }
    }
    const size_t m = rle.counts.size();
    if (m > 2) x += int64_t(rle.counts[m - 2]);
    rle.counts.push_back(uint32_t(x));
  }
}

Rle from_string(std::string_view text, uint32_t height, uint32_t width) {
  Rle rle;
  decode_string(text, height, width, rle);
  return rle;
}

}  // namespace segx::mask
