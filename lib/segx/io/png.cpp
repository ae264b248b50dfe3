// PNG decoding (own chunk parser + libdeflate inflate + unfilter; libspng for Adam7) and encoding.
#include "segx/io/png.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <spng.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/io/stream.hpp"

namespace segx::io {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// Per-thread decoder state: the libdeflate handles and buffers are reused across images, so
// decoding thousands of PNGs allocates only while the largest image grows.
struct Scratch {
  libdeflate_decompressor* inflater = nullptr;
  libdeflate_compressor* deflaters[13] = {};
  std::vector<uint8_t> file, idat, raw, zero_row;
  Scratch() {
    inflater = libdeflate_alloc_decompressor();
    if (!inflater) throw std::bad_alloc();
  }
  ~Scratch() {
    libdeflate_free_decompressor(inflater);
    for (auto* c : deflaters)
      if (c) libdeflate_free_compressor(c);
  }
  libdeflate_compressor* deflater(int level) {
    if (level < 0 || level > 12) fail(ErrorKind::Usage, "PNG compression level {} is not in 0..12", level);
    if (!deflaters[level]) {
      deflaters[level] = libdeflate_alloc_compressor(level);
      if (!deflaters[level]) throw std::bad_alloc();
    }
    return deflaters[level];
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

[[noreturn]] void corrupt(const std::string& name, const std::string& what) {
  fail(ErrorKind::DataError, "cannot read PNG '{}': {}", name, what);
}

inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24), p[1] = uint8_t(v >> 16), p[2] = uint8_t(v >> 8), p[3] = uint8_t(v);
}

// Reads a whole file into `out` with plain POSIX calls (no iostream overhead per file).
void read_file_into(const std::string& path, std::vector<uint8_t>& out) {
  if (is_std_stream(path)) {
    std::string all = read_all(path);
    out.assign(all.begin(), all.end());
    return;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, errno_text(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail(ErrorKind::IoError, "cannot read '{}': {}", path, errno_text(err));
  }
  out.resize(std::size_t(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      fail(ErrorKind::IoError, "cannot read '{}': {}", path, errno_text(err));
    }
    if (n == 0) break;
    done += std::size_t(n);
  }
  ::close(fd);
  out.resize(done);
}

struct Parsed {
  PngHeader header;
  std::vector<std::array<uint8_t, 3>> palette;
  std::vector<uint8_t> trns;  // palette alpha entries
  const uint8_t* idat = nullptr;
  std::size_t idat_size = 0;
};

bool valid_depth(int color_type, int depth) {
  switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return false;
  }
}

Parsed parse_chunks(const uint8_t* bytes, std::size_t size, const std::string& name,
                    bool check_crc, Scratch& s) {
  if (size < 8 || std::memcmp(bytes, kSignature, 8) != 0) {
    if (size == 0) corrupt(name, "empty file");
    corrupt(name, "not a PNG file (bad signature)");
  }
  Parsed p;
  std::size_t pos = 8, idat_chunks = 0;
  bool have_header = false, have_end = false;
  while (pos < size) {
    if (size - pos < 12) corrupt(name, "truncated file (incomplete chunk)");
    uint32_t length = be32(bytes + pos);
    const uint8_t* type = bytes + pos + 4;
    const uint8_t* data = type + 4;
    if (length > size - pos - 12) corrupt(name, fmt::format("truncated file (chunk '{}' cut short)",
                                                            std::string(reinterpret_cast<const char*>(type), 4)));
    std::string tag(reinterpret_cast<const char*>(type), 4);
    if (check_crc) {
      uint32_t crc = static_cast<uint32_t>(libdeflate_crc32(0, type, length + 4));
      if (crc != be32(data + length)) corrupt(name, fmt::format("CRC mismatch in chunk '{}'", tag));
    }
    if (!have_header) {
      if (tag != "IHDR" || length != 13) corrupt(name, "first chunk is not IHDR");
      auto& h = p.header;
      uint32_t w = be32(data), hgt = be32(data + 4);
      h.bit_depth = data[8], h.color_type = data[9], h.interlace = data[12];
      if (w == 0 || hgt == 0 || w > (1u << 24) || hgt > (1u << 24))
        corrupt(name, fmt::format("bad image size {}x{}", w, hgt));
      check_pixels(w, hgt, fmt::format("cannot read PNG '{}'", name));
      h.width = int(w), h.height = int(hgt);
      if (!valid_depth(h.color_type, h.bit_depth))
        corrupt(name, fmt::format("bad colour type {} with bit depth {}", h.color_type, h.bit_depth));
      if (data[10] != 0 || data[11] != 0 || h.interlace > 1)
        corrupt(name, "unknown compression, filter or interlace method");
      have_header = true;
    } else if (tag == "IDAT") {
      if (idat_chunks == 0) {
        p.idat = data, p.idat_size = length;
      } else {
        // Several IDAT chunks: inflate needs one contiguous stream.
        if (idat_chunks == 1) s.idat.assign(p.idat, p.idat + p.idat_size);
        s.idat.insert(s.idat.end(), data, data + length);
      }
      ++idat_chunks;
    } else if (tag == "PLTE") {
      if (length % 3 != 0 || length > 768) corrupt(name, "bad PLTE chunk");
      p.palette.resize(length / 3);
      // No memcpy for an empty PLTE: an empty vector's data() may be null.
      if (length) std::memcpy(p.palette.data(), data, length);
    } else if (tag == "tRNS") {
      if (p.header.color_type == 3) p.trns.assign(data, data + length);
    } else if (tag == "IEND") {
      have_end = true;
      break;
    } else if (!(type[0] & 0x20)) {
      corrupt(name, fmt::format("unknown critical chunk '{}'", tag));
    }
    pos += std::size_t(length) + 12;
  }
  if (!have_header) corrupt(name, "truncated file (no IHDR)");
  if (idat_chunks == 0) corrupt(name, "no image data (IDAT)");
  if (!have_end) corrupt(name, "truncated file (no IEND chunk)");
  if (idat_chunks > 1) p.idat = s.idat.data(), p.idat_size = s.idat.size();
  if (p.header.color_type == 3 && p.palette.empty()) corrupt(name, "palette image without PLTE");
  return p;
}

// Branch-free Paeth predictor (the compiler turns the selects into conditional moves; the
// branchy form mispredicts on real images).
inline uint8_t paeth_select(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  const int ab = pa <= pb ? a : b;
  const int best = pa <= pb ? pa : pb;
  return uint8_t(best <= pc ? ab : c);
}

// Sub, Average and Paeth with a fixed pixel size B: the left (and upper-left) pixel is carried
// in registers instead of being read back from the byte just stored, which would chain every
// byte to the store of the previous pixel (the main cost of decoding RGB PNGs before).
template <std::size_t B>
void unfilter_sub(uint8_t* row, std::size_t n) {
  uint8_t left[B] = {};
  for (std::size_t i = 0; i + B <= n; i += B)
    for (std::size_t k = 0; k < B; ++k) row[i + k] = left[k] = uint8_t(row[i + k] + left[k]);
}

template <std::size_t B>
void unfilter_average(uint8_t* row, const uint8_t* prev, std::size_t n) {
  uint8_t left[B] = {};
  for (std::size_t i = 0; i + B <= n; i += B)
    for (std::size_t k = 0; k < B; ++k)
      row[i + k] = left[k] = uint8_t(row[i + k] + ((left[k] + prev[i + k]) >> 1));
}

template <std::size_t B>
void unfilter_paeth(uint8_t* row, const uint8_t* prev, std::size_t n) {
  uint8_t left[B] = {}, upper_left[B] = {};
  for (std::size_t i = 0; i + B <= n; i += B)
    for (std::size_t k = 0; k < B; ++k) {
      const uint8_t up = prev[i + k];
      row[i + k] = left[k] = uint8_t(row[i + k] + paeth_select(left[k], up, upper_left[k]));
      upper_left[k] = up;
    }
}

template <std::size_t B>
bool unfilter_fixed(int filter, uint8_t* row, const uint8_t* prev, std::size_t n) {
  switch (filter) {
    case 1: unfilter_sub<B>(row, n); return true;
    case 3: unfilter_average<B>(row, prev, n); return true;
    case 4: unfilter_paeth<B>(row, prev, n); return true;
    default: return false;
  }
}

// Reverses one row's filter in place; `prev` is the previous unfiltered row (zeros for row 0).
bool unfilter_row(int filter, uint8_t* row, const uint8_t* prev, std::size_t n, std::size_t bpp) {
  if (filter == 0) return true;
  if (filter == 2) {
    for (std::size_t i = 0; i < n; ++i) row[i] = uint8_t(row[i] + prev[i]);
    return true;
  }
  // A pixel is 1-4 samples of 1 or 2 bytes; sub-byte depths filter byte by byte (bpp 1).
  switch (bpp) {
    case 1: return unfilter_fixed<1>(filter, row, prev, n);
    case 2: return unfilter_fixed<2>(filter, row, prev, n);
    case 3: return unfilter_fixed<3>(filter, row, prev, n);
    case 4: return unfilter_fixed<4>(filter, row, prev, n);
    case 6: return unfilter_fixed<6>(filter, row, prev, n);
    case 8: return unfilter_fixed<8>(filter, row, prev, n);
    default: fail(ErrorKind::Internal, "PNG rows of {} bytes a pixel", bpp);
  }
}

std::size_t packed_row_bytes(const PngHeader& h) {
  return (std::size_t(h.width) * h.channels() * h.bit_depth + 7) / 8;
}

// Decodes an Adam7-interlaced PNG with libspng into contiguous rows (big-endian 16-bit).
void decode_interlaced(const uint8_t* bytes, std::size_t size, const std::string& name,
                       bool check_crc, const PngHeader& header, detail::RowCallback callback,
                       void* ctx) {
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> sp(spng_ctx_new(0), spng_ctx_free);
  if (!sp) throw std::bad_alloc();
  if (!check_crc) spng_set_crc_action(sp.get(), SPNG_CRC_USE, SPNG_CRC_USE);
  spng_set_image_limits(sp.get(), 1u << 24, 1u << 24);
  spng_set_png_buffer(sp.get(), bytes, size);
  std::size_t out_size = 0;
  int rc = spng_decoded_image_size(sp.get(), SPNG_FMT_RAW, &out_size);
  std::vector<uint8_t> out;
  if (rc == 0) {
    out.resize(out_size);
    rc = spng_decode_image(sp.get(), out.data(), out.size(), SPNG_FMT_RAW, 0);
  }
  if (rc != 0) corrupt(name, spng_strerror(rc));
  std::size_t stride = packed_row_bytes(header);
  if (out_size != stride * std::size_t(header.height)) corrupt(name, "unexpected interlaced layout");
  for (int y = 0; y < header.height; ++y) callback(ctx, header, y, out.data() + stride * y);
}

// Decodes into `raw` (the per-thread buffer when null): row y, unfiltered, at
// raw + y * (row bytes + 1) + 1, behind its filter byte.
PngHeader decode_buffer(const uint8_t* bytes, std::size_t size, const std::string& name,
                        bool check_crc, detail::RowCallback callback, void* ctx, Parsed* info,
                        std::vector<uint8_t>* raw = nullptr) {
  Scratch& s = scratch();
  std::vector<uint8_t>& rows = raw ? *raw : s.raw;
  Parsed p = parse_chunks(bytes, size, name, check_crc, s);
  const PngHeader& h = p.header;
  if (info) *info = p;
  if (h.interlace == 1) {
    decode_interlaced(bytes, size, name, check_crc, h, callback, ctx);
    return h;
  }
  const std::size_t row_bytes = packed_row_bytes(h);
  const std::size_t stride = row_bytes + 1;
  const std::size_t raw_size = stride * std::size_t(h.height);
  const std::size_t bpp = std::max<std::size_t>(1, std::size_t(h.channels()) * h.bit_depth / 8);
  if (rows.size() < raw_size) rows.resize(raw_size);
  std::size_t got = 0;
  auto rc = libdeflate_zlib_decompress(s.inflater, p.idat, p.idat_size, rows.data(), raw_size, &got);
  if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) corrupt(name, "image data longer than the header says");
  if (rc != LIBDEFLATE_SUCCESS) corrupt(name, "corrupt image data (bad zlib stream or checksum)");
  if (got != raw_size)
    corrupt(name, fmt::format("truncated image data ({} of {} bytes)", got, raw_size));
  if (s.zero_row.size() < row_bytes) s.zero_row.assign(row_bytes, 0);
  const uint8_t* prev = s.zero_row.data();
  for (int y = 0; y < h.height; ++y) {
    uint8_t* row = rows.data() + stride * y;
    if (!unfilter_row(row[0], row + 1, prev, row_bytes, bpp))
      corrupt(name, fmt::format("bad filter type {} in row {}", int(row[0]), y));
    callback(ctx, h, y, row + 1);
    prev = row + 1;
  }
  return h;
}

// Converts rows as stored in the file into an Image.
struct ImageSink {
  Image* image;
  const Parsed* info;
  const std::string* name;
  PaletteMode mode;
  int file_channels = 0;

  static void row(void* ctx, const PngHeader& h, int y, const uint8_t* src) {
    auto* self = static_cast<ImageSink*>(ctx);
    Image& img = *self->image;
    if (y == 0) self->begin(h);
    uint8_t* dst = img.data.data() + img.row_bytes() * std::size_t(y);
    const std::size_t w = std::size_t(h.width);
    if (h.bit_depth == 16) {
      const std::size_t n = w * self->file_channels;
      auto* d16 = reinterpret_cast<uint16_t*>(dst);
      for (std::size_t i = 0; i < n; ++i) d16[i] = uint16_t(src[2 * i] << 8 | src[2 * i + 1]);
      return;
    }
    if (h.color_type == 3 && self->mode == PaletteMode::Expand) {
      const auto& pal = self->info->palette;
      const auto& trns = self->info->trns;
      const int c = img.channels;
      for (std::size_t x = 0; x < w; ++x) {
        unsigned idx = sample(src, x, h.bit_depth);
        if (idx >= pal.size()) corrupt(*self->name, fmt::format("palette index {} outside the palette", idx));
        std::memcpy(dst + x * c, pal[idx].data(), 3);
        if (c == 4) dst[x * c + 3] = idx < trns.size() ? trns[idx] : 255;
      }
      return;
    }
    if (h.bit_depth == 8) {
      std::memcpy(dst, src, w * self->file_channels);
      return;
    }
    for (std::size_t x = 0; x < w; ++x) dst[x] = uint8_t(sample(src, x, h.bit_depth));
  }
  static unsigned sample(const uint8_t* src, std::size_t x, int depth) {
    if (depth == 8) return src[x];
    const std::size_t per_byte = 8 / depth;
    const unsigned shift = unsigned(8 - depth * (1 + x % per_byte));
    return (src[x / per_byte] >> shift) & ((1u << depth) - 1);
  }
  void begin(const PngHeader& h) {
    Image& img = *image;
    file_channels = h.channels();
    img.width = h.width, img.height = h.height;
    img.bit_depth = h.bit_depth == 16 ? 16 : 8;
    img.channels = file_channels;
    if (h.color_type == 3 && mode == PaletteMode::Expand) img.channels = info->trns.empty() ? 3 : 4;
    if (h.color_type == 3 && mode == PaletteMode::KeepIndices) img.palette = info->palette;
    else img.palette.clear();
    // A reused image keeps its buffer: resizing to the size it had writes nothing.
    img.data.resize(img.row_bytes() * std::size_t(img.height));
  }
};

}  // namespace

int PngHeader::channels() const {
  switch (color_type) {
    case 2: return 3;
    case 4: return 2;
    case 6: return 4;
    default: return 1;
  }
}

void decode_png(const uint8_t* bytes, std::size_t size, const std::string& name, Image& image,
                const PngReadOptions& options) {
  Parsed info;
  ImageSink sink{&image, &info, &name, options.palette};
  decode_buffer(bytes, size, name, options.check_crc, &ImageSink::row, &sink, &info);
}

Image decode_png(const uint8_t* bytes, std::size_t size, const std::string& name,
                 const PngReadOptions& options) {
  Image image;
  decode_png(bytes, size, name, image, options);
  return image;
}

namespace {

// Reads `path` into the per-thread file buffer and calls use(bytes, size) on it: decoding works
// on the buffer directly, and the buffer's memory is kept for the next file. The buffer is lent
// out for the call, so a nested read (none today) would get a fresh one instead of clobbering it.
template <typename Use>
auto with_file_bytes(const std::string& path, Use&& use) {
  std::vector<uint8_t> file;
  file.swap(scratch().file);
  struct Restore {
    std::vector<uint8_t>& buf;
    std::vector<uint8_t>& home;
    ~Restore() { home.swap(buf); }
  } restore{file, scratch().file};
  read_file_into(path, file);
  return use(file.data(), file.size());
}

}  // namespace

void read_png(const std::string& path, Image& image, const PngReadOptions& options) {
  with_file_bytes(path, [&](const uint8_t* bytes, std::size_t size) {
    decode_png(bytes, size, path, image, options);
  });
}

Image read_png(const std::string& path, const PngReadOptions& options) {
  Image image;
  read_png(path, image, options);
  return image;
}

void read_png_rows(const std::string& path, PngRows& rows, bool check_crc) {
  // Rows of non-interlaced files are decoded where they stay; interlaced ones (decoded by libspng
  // elsewhere) are copied into the same layout. The header and stride are set at row 0.
  struct Place {
    PngRows* rows;
    static void row(void* ctx, const PngHeader& h, int y, const uint8_t* src) {
      PngRows& r = *static_cast<Place*>(ctx)->rows;
      if (y == 0) {
        r.header = h;
        r.stride = packed_row_bytes(h) + 1;
        if (r.buffer.size() < r.stride * std::size_t(h.height)) r.buffer.resize(r.stride * std::size_t(h.height));
      }
      uint8_t* dst = r.buffer.data() + r.stride * std::size_t(y) + 1;
      if (dst != src) std::memcpy(dst, src, r.stride - 1);
    }
  } place{&rows};
  with_file_bytes(path, [&](const uint8_t* bytes, std::size_t size) {
    decode_buffer(bytes, size, path, check_crc, &Place::row, &place, nullptr, &rows.buffer);
  });
}

PngHeader read_png_header(const std::string& path) {
  std::vector<uint8_t> file;
  read_file_into(path, file);
  return parse_chunks(file.data(), file.size(), path, false, scratch()).header;
}

namespace detail {
PngHeader decode_rows(const std::string& path, RowCallback callback, void* ctx, bool check_crc) {
  return with_file_bytes(path, [&](const uint8_t* bytes, std::size_t size) {
    return decode_buffer(bytes, size, path, check_crc, callback, ctx, nullptr);
  });
}
PngHeader decode_rows(const uint8_t* bytes, std::size_t size, const std::string& name,
                      RowCallback callback, void* ctx, bool check_crc) {
  return decode_buffer(bytes, size, name, check_crc, callback, ctx, nullptr);
}
}  // namespace detail

// ---- encoding ----

namespace {

void append_chunk(std::string& out, const char* type, const uint8_t* data, std::size_t length) {
  uint8_t head[8];
  put_be32(head, uint32_t(length));
  std::memcpy(head + 4, type, 4);
  out.append(reinterpret_cast<const char*>(head), 8);
  if (length) out.append(reinterpret_cast<const char*>(data), length);
  uint32_t crc = static_cast<uint32_t>(libdeflate_crc32(0, type, 4));
  if (length) crc = static_cast<uint32_t>(libdeflate_crc32(crc, data, length));
  uint8_t tail[4];
  put_be32(tail, crc);
  out.append(reinterpret_cast<const char*>(tail), 4);
}

// Sum of |filtered byte| as signed values: the usual heuristic for choosing a row filter.
inline unsigned long cost(const uint8_t* p, std::size_t n) {
  unsigned long sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += unsigned(std::abs(int(int8_t(p[i]))));
  return sum;
}

}  // namespace

std::string encode_png(const Image& image, const PngWriteOptions& options) {
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4 ||
      (image.bit_depth != 8 && image.bit_depth != 16))
    fail(ErrorKind::Internal, "cannot encode a {}x{} image with {} channels of {} bits as PNG",
         image.width, image.height, image.channels, image.bit_depth);
  const bool palette = !image.palette.empty() && image.channels == 1 && image.bit_depth == 8;
  const std::size_t row_bytes = image.row_bytes();
  if (image.data.size() < row_bytes * std::size_t(image.height))
    fail(ErrorKind::Internal, "image buffer smaller than {}x{}", image.width, image.height);
  const std::size_t stride = row_bytes + 1;
  const std::size_t bpp = image.channels * image.bytes_per_sample();
  Scratch& s = scratch();
  std::vector<uint8_t> raw(stride * image.height);
  std::vector<uint8_t> cur(row_bytes), prev(row_bytes, 0), sub(row_bytes), up(row_bytes);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.data.data() + row_bytes * std::size_t(y);
    if (image.bit_depth == 16) {
      for (std::size_t i = 0; i < row_bytes; i += 2) {
        uint16_t v;
        std::memcpy(&v, src + i, 2);
        cur[i] = uint8_t(v >> 8), cur[i + 1] = uint8_t(v);
      }
    } else {
      std::memcpy(cur.data(), src, row_bytes);
    }
    uint8_t* out = raw.data() + stride * y;
    if (palette) {
      out[0] = 0;
      std::memcpy(out + 1, cur.data(), row_bytes);
    } else {
      for (std::size_t i = 0; i < row_bytes; ++i) {
        sub[i] = uint8_t(cur[i] - (i >= bpp ? cur[i - bpp] : 0));
        up[i] = uint8_t(cur[i] - prev[i]);
      }
      unsigned long c_none = cost(cur.data(), row_bytes), c_sub = cost(sub.data(), row_bytes),
                    c_up = y > 0 ? cost(up.data(), row_bytes) : ~0ul;
      const uint8_t* best = cur.data();
      out[0] = 0;
      if (c_sub < c_none && c_sub <= c_up) best = sub.data(), out[0] = 1;
      else if (c_up < c_none) best = up.data(), out[0] = 2;
      std::memcpy(out + 1, best, row_bytes);
    }
    std::swap(prev, cur);
  }
  libdeflate_compressor* deflater = s.deflater(options.compression_level);
  std::vector<uint8_t> zdata(libdeflate_zlib_compress_bound(deflater, raw.size()));
  std::size_t zsize = libdeflate_zlib_compress(deflater, raw.data(), raw.size(), zdata.data(), zdata.size());
  if (zsize == 0) fail(ErrorKind::Internal, "PNG compression failed");

  std::string out(reinterpret_cast<const char*>(kSignature), 8);
  uint8_t ihdr[13];
  put_be32(ihdr, uint32_t(image.width));
  put_be32(ihdr + 4, uint32_t(image.height));
  static const uint8_t kColorType[5] = {0, 0, 4, 2, 6};
  ihdr[8] = uint8_t(image.bit_depth);
  ihdr[9] = palette ? 3 : kColorType[image.channels];
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  append_chunk(out, "IHDR", ihdr, 13);
  if (palette) {
    std::size_t n = std::min<std::size_t>(image.palette.size(), 256);
    append_chunk(out, "PLTE", image.palette[0].data(), n * 3);
  }
  append_chunk(out, "IDAT", zdata.data(), zsize);
  append_chunk(out, "IEND", nullptr, 0);
  return out;
}

void write_png(const std::string& path, const Image& image, const PngWriteOptions& options) {
  write_file_atomic(path, encode_png(image, options), /*binary=*/true);
}

}  // namespace segx::io
