// PNG reading and writing: a small chunk parser over libdeflate (the fast path for the
// non-interlaced PNGs that segmentation datasets use), libspng for interlaced files.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace segx::io {

// A decoded image, row-major with interleaved channels. 16-bit samples are stored as native
// uint16_t (data.size() == width * height * channels * 2); sub-byte depths (1/2/4) are unpacked to
// one byte per sample holding the raw value (not rescaled), and bit_depth then reads 8.
struct Image {
  int width = 0, height = 0, channels = 0, bit_depth = 8;
  std::vector<uint8_t> data;
  // The PLTE entries when a palette image was read with its indices kept (channels == 1); written
  // back as a palette PNG when not empty.
  std::vector<std::array<uint8_t, 3>> palette;

  std::size_t bytes_per_sample() const { return bit_depth == 16 ? 2 : 1; }
  std::size_t row_bytes() const { return std::size_t(width) * channels * bytes_per_sample(); }
  const uint16_t* data16() const { return reinterpret_cast<const uint16_t*>(data.data()); }
  uint16_t* data16() { return reinterpret_cast<uint16_t*>(data.data()); }
};

enum class PaletteMode {
  KeepIndices,  // one channel of indices (semantic palette PNGs store class ids this way)
  Expand,       // RGB, or RGBA when the file has a tRNS chunk
};

struct PngReadOptions {
  PaletteMode palette = PaletteMode::KeepIndices;
  // Verify every chunk's CRC-32 (zlib's Adler-32 over the image data is always checked).
  bool check_crc = true;
};

// The IHDR fields of a PNG.
struct PngHeader {
  int width = 0, height = 0, bit_depth = 0, color_type = 0, interlace = 0;
  int channels() const;  // samples per pixel in the file (palette: 1)
};

// Reads and decodes `path` ("-" = stdin). Errors name the file: Error(NoInput) when it cannot be
// opened, Error(DataError) for truncated or corrupt data or an unsupported format.
Image read_png(const std::string& path, const PngReadOptions& options = {});
// The same into a caller's image, whose buffer is reused (a worker reading image after image).
void read_png(const std::string& path, Image& image, const PngReadOptions& options = {});

// Decodes a PNG held in memory; `name` is used in error messages.
Image decode_png(const uint8_t* bytes, std::size_t size, const std::string& name,
                 const PngReadOptions& options = {});
void decode_png(const uint8_t* bytes, std::size_t size, const std::string& name, Image& image,
                const PngReadOptions& options = {});

// All rows of a PNG as decode_png_rows hands them over (16-bit big-endian, sub-byte depths
// packed, palette indices), kept where the decoder left them: for readers that need a whole image
// but not Image's layout, which would cost a copy of every row.
struct PngRows {
  PngHeader header;
  std::size_t stride = 0;       // bytes from one row to the next (a filter byte sits between)
  std::vector<uint8_t> buffer;  // reused when the same PngRows reads the next file
  const uint8_t* row(int y) const { return buffer.data() + stride * std::size_t(y) + 1; }
};
void read_png_rows(const std::string& path, PngRows& rows, bool check_crc = true);

// Parses only the header.
PngHeader read_png_header(const std::string& path);

// Decodes into rows of unfiltered samples as stored in the file (16-bit big-endian, sub-byte
// depths packed) and calls row_fn(header, y, row) for each row in order (y == 0 first, so the
// caller can size its output there); the row pointer is valid only during the call. Used by readers that convert straight into their own layout (panoptic ids).
// Returns the header. Thread-safe: buffers are per thread and reused across calls.
template <typename RowFn>
PngHeader decode_png_rows(const std::string& path, RowFn&& row_fn, bool check_crc = true);
// The same over a PNG held in memory; `name` is used in error messages.
template <typename RowFn>
PngHeader decode_png_rows(const uint8_t* bytes, std::size_t size, const std::string& name,
                          RowFn&& row_fn, bool check_crc = true);

// The values of a one-channel row as decode_png_rows hands it over (8-bit as stored, 16-bit
// big-endian, 1/2/4-bit packed from the high bits): out[x] for every x of the row.
template <typename T>
void unpack_one_channel_row(const PngHeader& h, const uint8_t* row, T* out) {
  const std::size_t width = std::size_t(h.width);
  if (h.bit_depth == 16) {
    for (std::size_t x = 0; x < width; ++x) out[x] = T(uint32_t(row[2 * x]) << 8 | row[2 * x + 1]);
  } else if (h.bit_depth == 8) {
    for (std::size_t x = 0; x < width; ++x) out[x] = row[x];
  } else {
    const int d = h.bit_depth, per = 8 / d;
    for (std::size_t x = 0; x < width; ++x)
      out[x] = T((row[x / per] >> (8 - d * (1 + int(x % per)))) & ((1u << d) - 1));
  }
}

struct PngWriteOptions {
  // libdeflate level: 1 is fastest; 3 keeps files within a few percent of zlib's default size on
  // label maps at several times the speed.
  int compression_level = 3;
};

// Encodes an image (1-4 channels, 8 or 16 bit; channels == 1 with a palette writes a palette PNG).
std::string encode_png(const Image& image, const PngWriteOptions& options = {});

// Writes a PNG atomically ("-" = stdout, refused on a terminal).
void write_png(const std::string& path, const Image& image, const PngWriteOptions& options = {});

namespace detail {
using RowCallback = void (*)(void* ctx, const PngHeader& header, int y, const uint8_t* row);
PngHeader decode_rows(const std::string& path, RowCallback callback, void* ctx, bool check_crc);
PngHeader decode_rows(const uint8_t* bytes, std::size_t size, const std::string& name,
                      RowCallback callback, void* ctx, bool check_crc);

// A row_fn of any type behind decode_rows' plain function pointer.
template <typename RowFn>
void call_row_fn(void* ctx, const PngHeader& header, int y, const uint8_t* row) {
  (*static_cast<std::remove_reference_t<RowFn>*>(ctx))(header, y, row);
}
template <typename RowFn>
void* row_fn_context(RowFn& row_fn) {
  return const_cast<void*>(static_cast<const void*>(&row_fn));
}
}  // namespace detail

template <typename RowFn>
PngHeader decode_png_rows(const std::string& path, RowFn&& row_fn, bool check_crc) {
  return detail::decode_rows(path, &detail::call_row_fn<RowFn>, detail::row_fn_context(row_fn),
                             check_crc);
}

template <typename RowFn>
PngHeader decode_png_rows(const uint8_t* bytes, std::size_t size, const std::string& name,
                          RowFn&& row_fn, bool check_crc) {
  return detail::decode_rows(bytes, size, name, &detail::call_row_fn<RowFn>,
                             detail::row_fn_context(row_fn), check_crc);
}

}  // namespace segx::io
