// PNG reader/writer: round trips, agreement with libpng (OpenCV) on real files, Adam7, bad input.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "segx/core/error.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "support/fixtures.hpp"

namespace segx::io {
namespace fs = std::filesystem;

namespace {

Image random_image(int w, int h, int channels, int depth, unsigned seed, int levels = 256) {
  Image img;
  img.width = w, img.height = h, img.channels = channels, img.bit_depth = depth;
  img.data.resize(img.row_bytes() * h);
  std::mt19937 rng(seed);
  // Blocky content (like label maps) with some noise so that every filter type gets used.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * channels; ++x) {
      unsigned v = (x / (3 * channels) + y / 5) % levels;
      if (rng() % 7 == 0) v = rng() % levels;
      if (depth == 16) img.data16()[std::size_t(y) * w * channels + x] = uint16_t(v * 257 + (rng() % 2));
      else img.data[std::size_t(y) * w * channels + x] = uint8_t(v);
    }
  return img;
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// Appends a chunk with a correct CRC (for hand-built files).
void chunk(std::string& out, const char* type, const std::string& data) {
  auto put = [&](uint32_t v) {
    char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.append(b, 4);
  };
  put(uint32_t(data.size()));
  std::string td = std::string(type, 4) + data;
  out += td;
  put(uint32_t(libdeflate_crc32(0, td.data(), td.size())));
}

std::string zlib(const std::string& raw) {
  auto* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_zlib_compress_bound(c, raw.size()), '\0');
  out.resize(libdeflate_zlib_compress(c, raw.data(), raw.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

std::string ihdr(int w, int h, int depth, int color, int interlace) {
  std::string d(13, '\0');
  for (int i = 0; i < 4; ++i) d[i] = char(w >> (24 - 8 * i)), d[4 + i] = char(h >> (24 - 8 * i));
  d[8] = char(depth), d[9] = char(color), d[12] = char(interlace);
  return d;
}

// A hand-made PNG: signature, IHDR, optional PLTE, IDAT split in `parts` chunks, IEND.
std::string build_png(int w, int h, int depth, int color, int interlace, const std::string& raw,
                      const std::string& plte = {}, int parts = 1) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  chunk(out, "IHDR", ihdr(w, h, depth, color, interlace));
  if (!plte.empty()) chunk(out, "PLTE", plte);
  std::string z = zlib(raw);
  std::size_t step = z.size() / parts + 1;
  for (std::size_t i = 0; i < z.size(); i += step) chunk(out, "IDAT", z.substr(i, step));
  chunk(out, "IEND", "");
  return out;
}

Image decode(const std::string& bytes, PaletteMode mode = PaletteMode::KeepIndices) {
  PngReadOptions o;
  o.palette = mode;
  return decode_png(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "mem.png", o);
}

std::string expect_data_error(const fs::path& p, PngReadOptions o = {}) {
  try {
    read_png(p.string(), o);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for " << p;
  return {};
}

}  // namespace

class PngRoundTrip : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(PngRoundTrip, WriteThenReadIsIdentityAndLibpngAgrees) {
  auto [channels, depth] = GetParam();
  Image img = random_image(97, 61, channels, depth, unsigned(channels * 100 + depth));
  std::string bytes = encode_png(img);
  Image back = decode(bytes);
  EXPECT_EQ(back.width, img.width);
  EXPECT_EQ(back.height, img.height);
  EXPECT_EQ(back.channels, channels);
  EXPECT_EQ(back.bit_depth, depth);
  EXPECT_EQ(back.data, img.data);
  // libpng (through OpenCV) reads our file to the same samples (BGR order for colour).
  cv::Mat m = cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, bytes.data()), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(m.empty());
  // libpng through OpenCV turns grey+alpha into BGRA: compare grey with B and alpha with A.
  const int theirs_channels = channels == 2 ? 4 : channels;
  ASSERT_EQ(m.channels(), theirs_channels);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      for (int c = 0; c < channels; ++c) {
        int cc = channels == 2 ? (c == 0 ? 0 : 3) : (channels >= 3 && c < 3) ? 2 - c : c;
        std::size_t i = (std::size_t(y) * img.width + x) * channels + c;
        unsigned ours = depth == 16 ? img.data16()[i] : img.data[i];
        const int k = x * theirs_channels + cc;
        unsigned theirs = depth == 16 ? m.ptr<uint16_t>(y)[k] : m.ptr<uint8_t>(y)[k];
        ASSERT_EQ(ours, theirs) << x << "," << y << "," << c;
      }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, PngRoundTrip,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4), ::testing::Values(8, 16)));

// Every filter type on every pixel size: rows filtered by hand (filter y % 5, straight from the
// PNG specification) must decode to the original samples.
TEST(Png, EveryFilterTypeOnEveryPixelSize) {
  const std::pair<int, int> layouts[] = {{0, 8}, {4, 8}, {2, 8}, {6, 8}, {0, 16}, {4, 16}, {2, 16}, {6, 16}};
  for (const auto& [color, depth] : layouts) {
    const int channels = color == 0 ? 1 : color == 4 ? 2 : color == 2 ? 3 : 4;
    const std::size_t bpp = std::size_t(channels) * depth / 8;
    const int w = 37, h = 23;
    const std::size_t n = bpp * w;
    std::mt19937 rng(unsigned(color * 100 + depth));
    std::vector<uint8_t> image(n * h);
    for (auto& v : image) v = uint8_t(rng() % 3 == 0 ? rng() : 200);  // runs and noise
    std::string raw;
    for (int y = 0; y < h; ++y) {
      const int filter = y % 5;
      raw += char(filter);
      for (std::size_t i = 0; i < n; ++i) {
        const int a = i >= bpp ? image[y * n + i - bpp] : 0;
        const int b = y ? image[(y - 1) * n + i] : 0;
        const int c = (y && i >= bpp) ? image[(y - 1) * n + i - bpp] : 0;
        const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
        const int paeth = (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
        const int predictor[] = {0, a, b, (a + b) / 2, paeth};
        raw += char(uint8_t(image[y * n + i] - predictor[filter]));
      }
    }
    Image back = decode(build_png(w, h, depth, color, 0, raw));
    std::vector<uint8_t> samples = back.data;
    if (depth == 16)  // stored native-endian: back to the file's big-endian order
      for (std::size_t i = 0; i + 1 < samples.size(); i += 2) std::swap(samples[i], samples[i + 1]);
    EXPECT_EQ(samples, image) << "colour type " << color << ", depth " << depth;
  }
}

TEST(Png, PaletteKeepsIndicesOrExpands) {
  Image img = random_image(50, 40, 1, 8, 7, 5);
  img.palette = {{{0, 0, 0}}, {{128, 64, 128}}, {{244, 35, 232}}, {{70, 70, 70}}, {{1, 2, 3}}};
  std::string bytes = encode_png(img);
  Image kept = decode(bytes);
  EXPECT_EQ(kept.channels, 1);
  EXPECT_EQ(kept.data, img.data);
  EXPECT_EQ(kept.palette, img.palette);
  Image rgb = decode(bytes, PaletteMode::Expand);
  ASSERT_EQ(rgb.channels, 3);
  for (std::size_t i = 0; i < img.data.size(); ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(rgb.data[i * 3 + c], img.palette[img.data[i]][c]);
}

TEST(Png, SubBytePaletteAndGreyAreUnpacked) {
  // 4-bit palette, 10 pixels wide: 5 bytes per row; 2-bit grey.
  const int w = 10, h = 3;
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw += '\0';
    for (int b = 0; b < 5; ++b) raw += char(((2 * b + y) % 16) << 4 | ((2 * b + 1 + y) % 16));
  }
  std::string plte;
  for (int i = 0; i < 16; ++i) plte += std::string{char(i), char(i * 2), char(i * 3)};
  Image img = decode(build_png(w, h, 4, 3, 0, raw, plte));
  ASSERT_EQ(img.channels, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) EXPECT_EQ(img.data[y * w + x], (x + y) % 16);
  std::string raw2;
  for (int y = 0; y < h; ++y) raw2 += std::string{'\0', char(0b00011011), char(0b11100100), char(0b01000000)};
  Image g = decode(build_png(w, h, 2, 0, 0, raw2));
  std::vector<uint8_t> row = {0, 1, 2, 3, 3, 2, 1, 0, 1, 0};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) EXPECT_EQ(g.data[y * w + x], row[x]);
}

// An 8-bit RGB image as Adam7 interlaced image data: seven passes, each a small image with
// filter-0 rows.
static std::string adam7_rows(const Image& img) {
  std::string raw7;
  const int xs[7] = {0, 4, 0, 2, 0, 1, 0}, ys[7] = {0, 0, 4, 0, 2, 0, 1};
  const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  for (int p = 0; p < 7; ++p)
    for (int y = ys[p]; y < img.height; y += dy[p]) {
      if (xs[p] >= img.width) continue;
      raw7 += '\0';
      for (int x = xs[p]; x < img.width; x += dx[p])
        raw7.append(reinterpret_cast<const char*>(&img.data[(std::size_t(y) * img.width + x) * 3]), 3);
    }
  return raw7;
}

TEST(Png, SplitIdatAndAdam7MatchTheSimpleFile) {
  Image img = random_image(33, 17, 3, 8, 3);
  std::string raw, raw7;
  for (int y = 0; y < img.height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(img.data.data() + img.row_bytes() * y), img.row_bytes());
  }
  raw7 = adam7_rows(img);
  EXPECT_EQ(decode(build_png(33, 17, 8, 2, 0, raw, {}, 4)).data, img.data);
  EXPECT_EQ(decode(build_png(33, 17, 8, 2, 1, raw7)).data, img.data);
}

// read_png_rows keeps the rows where the decoder left them (or copies them there when libspng
// decodes an interlaced file): each row must equal the image's, with one PngRows reused for a
// large file, then a smaller and an interlaced one.
TEST(Png, RowsKeptInPlaceEqualTheImage) {
  const auto dir = test::temp_dir("png_rows");
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
  };
  const Image big = random_image(70, 40, 1, 8, 5), small = random_image(33, 17, 3, 8, 3);
  const std::string raw7 = adam7_rows(small);
  PngRows rows;
  for (const auto& [path, image] : {std::pair{write("big.png", encode_png(big)), &big},
                                    std::pair{write("small.png", encode_png(small)), &small},
                                    std::pair{write("adam7.png", build_png(33, 17, 8, 2, 1, raw7)), &small}}) {
    read_png_rows(path, rows);
    ASSERT_EQ(rows.header.width, image->width) << path;
    ASSERT_EQ(rows.header.height, image->height) << path;
    for (int y = 0; y < image->height; ++y)
      ASSERT_TRUE(std::equal(rows.row(y), rows.row(y) + image->row_bytes(),
                             image->data.begin() + std::ptrdiff_t(image->row_bytes() * std::size_t(y))))
          << path << " row " << y;
  }
}

TEST(Png, TruncatedAndCorruptFilesAreNamedErrors) {
  fs::path dir = test::temp_dir("png_bad");
  std::string good = encode_png(random_image(64, 64, 3, 8, 11));
  for (std::size_t cut : {std::size_t(4), std::size_t(30), good.size() / 2, good.size() - 6}) {
    fs::path p = dir / ("cut" + std::to_string(cut) + ".png");
    write_bytes(p, good.substr(0, cut));
    std::string msg = expect_data_error(p);
    EXPECT_TRUE(msg.find("truncated") != std::string::npos || msg.find("signature") != std::string::npos) << msg;
  }
  // Flip a byte inside IDAT: the CRC catches it; without CRC checks zlib's checksum does.
  std::size_t idat = good.find("IDAT");
  std::string flipped = good;
  flipped[idat + 4 + be32(reinterpret_cast<const uint8_t*>(good.data() + idat - 4)) / 2] ^= 0x5a;
  write_bytes(dir / "crc.png", flipped);
  EXPECT_NE(expect_data_error(dir / "crc.png").find("CRC"), std::string::npos);
  PngReadOptions no_crc;
  no_crc.check_crc = false;
  std::string zmsg = expect_data_error(dir / "crc.png", no_crc);
  EXPECT_TRUE(zmsg.find("corrupt image data") != std::string::npos || zmsg.find("image data") != std::string::npos) << zmsg;
  // Valid chunks around a zlib stream one row short.
  std::string raw(3 * (1 + 4), '\0');
  std::string short_png = build_png(4, 4, 8, 0, 0, raw);
  write_bytes(dir / "short.png", short_png);
  EXPECT_NE(expect_data_error(dir / "short.png").find("truncated image data"), std::string::npos);
  write_bytes(dir / "text.png", "hello");
  EXPECT_NE(expect_data_error(dir / "text.png").find("not a PNG"), std::string::npos);
  try {
    read_png((dir / "missing.png").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NoInput);
    EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos);
  }
}

TEST(PanopticPng, IdsRoundTripThroughRgb) {
  EXPECT_EQ(rgb2id(1, 2, 3), 1u + 256u * 2 + 65536u * 3);
  EXPECT_EQ(id2rgb(0x030201), (std::array<uint8_t, 3>{1, 2, 3}));
  std::mt19937 rng(5);
  std::vector<uint32_t> ids(120 * 80);
  for (auto& v : ids) v = rng() % 6 == 0 ? 0 : (rng() & 0xffffff);
  fs::path p = test::temp_dir("panoptic_png") / "a.png";
  write_panoptic_png(p.string(), 120, 80, ids.data());
  PanopticIds back = read_panoptic_png(p.string());
  EXPECT_EQ(back.width, 120);
  EXPECT_EQ(back.height, 80);
  EXPECT_EQ(back.ids, ids);
}

// The streaming readers (row buffer, runs) give the same ids as the whole-map reader, on RGB
// (the fused path), RGBA, grey and palette files.
TEST(PanopticPng, StreamedRowsAndRunsMatchTheWholeMap) {
  const int w = 53, h = 19;
  std::mt19937 rng(9);
  std::vector<uint32_t> ids(std::size_t(w) * h);
  for (std::size_t i = 0; i < ids.size(); ++i)  // runs of random length, ids 0..3 (palette-safe)
    ids[i] = (i > 0 && rng() % 5 != 0) ? ids[i - 1] : uint32_t(rng() % 4);
  Image rgb = panoptic_to_image(w, h, ids.data());
  Image rgba = rgb, grey, palette;
  rgba.channels = 4, rgba.data.clear();
  grey.width = palette.width = w, grey.height = palette.height = h;
  grey.channels = palette.channels = 1;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    rgba.data.insert(rgba.data.end(), {rgb.data[3 * i], rgb.data[3 * i + 1], rgb.data[3 * i + 2], 255});
    grey.data.push_back(uint8_t(ids[i]));
    palette.data.push_back(uint8_t(ids[i]));
  }
  for (uint32_t k = 0; k < 4; ++k) palette.palette.push_back(id2rgb(k));
  fs::path dir = test::temp_dir("panoptic_stream");
  const std::pair<const char*, const Image*> files[] = {{"rgb", &rgb}, {"rgba", &rgba}, {"grey", &grey}, {"palette", &palette}};
  for (const auto& [name, img] : files) {
    const std::string path = (dir / (std::string(name) + ".png")).string();
    write_png(path, *img);
    EXPECT_EQ(read_panoptic_png(path).ids, ids) << name;
    int width = 0, height = 0;
    std::vector<uint32_t> rows, from_runs;
    stream_panoptic_png(path, [&](int y, const uint32_t* row) {
      EXPECT_EQ(std::size_t(y) * w, rows.size());
      rows.insert(rows.end(), row, row + w);
    }, width, height);
    EXPECT_EQ(width, w);
    EXPECT_EQ(height, h);
    EXPECT_EQ(rows, ids) << name;
    stream_panoptic_runs(path, [&](int, const uint32_t* run_ids, const uint32_t* ends, std::size_t runs) {
      uint32_t x = 0;
      for (std::size_t r = 0; r < runs; ++r) {
        EXPECT_GT(ends[r], x) << name;
        if (r > 0) {
          EXPECT_NE(run_ids[r], run_ids[r - 1]) << name << ": runs not maximal";
        }
        for (; x < ends[r]; ++x) from_runs.push_back(run_ids[r]);
      }
      EXPECT_EQ(x, uint32_t(w)) << name;
    }, width, height);
    EXPECT_EQ(from_runs, ids) << name;
  }
}

TEST(PngFixtures, RealFilesDecodeAsLibpngDoes) {
  SEGX_REQUIRE_FIXTURES();
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(test::fixtures_root() / "real")) {
    if (e.path().extension() != ".png") continue;
    PngReadOptions o;
    o.palette = PaletteMode::Expand;  // OpenCV expands palettes
    Image ours = read_png(e.path().string(), o);
    cv::Mat m = cv::imread(e.path().string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(m.empty()) << e.path();
    ASSERT_EQ(m.cols, ours.width);
    ASSERT_EQ(m.rows, ours.height);
    ASSERT_EQ(m.channels(), ours.channels) << e.path();
    const int c = ours.channels;
    for (int y = 0; y < ours.height; ++y)
      for (int x = 0; x < ours.width * c; ++x) {
        int ch = x % c, px = x / c;
        int cc = (c >= 3 && ch < 3) ? 2 - ch : ch;
        std::size_t i = std::size_t(y) * ours.width * c + x;
        unsigned a = ours.bit_depth == 16 ? ours.data16()[i] : ours.data[i];
        unsigned b = m.depth() == CV_16U ? m.ptr<uint16_t>(y)[px * c + cc] : m.ptr<uint8_t>(y)[px * c + cc];
        ASSERT_EQ(a, b) << e.path() << " at " << px << "," << y;
      }
    if (e.path().string().find("panoptic_examples/") != std::string::npos) {
      PanopticIds ids = read_panoptic_png(e.path().string());
      for (std::size_t i = 0; i < ids.ids.size(); ++i)
        ASSERT_EQ(ids.ids[i], rgb2id(ours.data[3 * i], ours.data[3 * i + 1], ours.data[3 * i + 2]));
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace segx::io
