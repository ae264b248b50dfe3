// The semantic evaluation driver on label PNGs of every one-channel layout (8-bit and 16-bit grey,
// 4-bit grey, palette indices), each against counts made in the test; bad files name themselves.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <fstream>
#include <random>

#include "segx/core/error.hpp"
#include "segx/io/png.hpp"
#include "segx/metrics/semantic_eval.hpp"
#include "support/fixtures.hpp"

namespace segx::metrics {
namespace {

constexpr int kClasses = 5;
constexpr int kIgnore = 15;  // fits a 4-bit PNG

io::Image label_image(const std::vector<std::uint16_t>& values, int w, int h, int depth, bool palette) {
  io::Image img;
  img.width = w, img.height = h, img.channels = 1, img.bit_depth = depth == 16 ? 16 : 8;
  img.data.resize(img.row_bytes() * std::size_t(h));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (depth == 16) img.data16()[i] = values[i];
    else img.data[i] = std::uint8_t(values[i]);
  }
  if (palette)
    for (int k = 0; k < 16; ++k) img.palette.push_back({std::uint8_t(k * 10), 0, 0});
  return img;
}

// A grey PNG of any bit depth from already filtered rows.
void write_grey_png(const std::string& path, int w, int h, int depth, const std::string& raw) {
  auto chunk = [](std::string& out, const char* type, const std::string& data) {
    auto put = [&](std::uint32_t v) {
      const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
      out.append(b, 4);
    };
    put(std::uint32_t(data.size()));
    const std::string td = std::string(type, 4) + data;
    out += td;
    put(std::uint32_t(libdeflate_crc32(0, td.data(), td.size())));
  };
  std::string ihdr(13, '\0');
  for (int i = 0; i < 4; ++i) ihdr[i] = char(w >> (24 - 8 * i)), ihdr[4 + i] = char(h >> (24 - 8 * i));
  ihdr[8] = char(depth);  // colour type 0 (grey), no interlace
  auto* c = libdeflate_alloc_compressor(6);
  std::string z(libdeflate_zlib_compress_bound(c, raw.size()), '\0');
  z.resize(libdeflate_zlib_compress(c, raw.data(), raw.size(), z.data(), z.size()));
  libdeflate_free_compressor(c);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  std::ofstream(path, std::ios::binary).write(png.data(), std::streamsize(png.size()));
}

TEST(SemanticEval, EveryLabelLayoutCountsLikeTheTest) {
  const int w = 45, h = 13;
  std::mt19937 rng(21);
  std::vector<std::uint16_t> gt(std::size_t(w) * h), pred(gt.size());
  for (std::size_t i = 0; i < gt.size(); ++i) {
    gt[i] = (i && rng() % 5) ? gt[i - 1] : std::uint16_t(rng() % 6 == 0 ? kIgnore : rng() % kClasses);
    pred[i] = (i && rng() % 3) ? pred[i - 1] : std::uint16_t(rng() % kClasses);
  }
  ConfusionMatrix expected(kClasses);
  for (std::size_t i = 0; i < gt.size(); ++i)
    if (gt[i] != kIgnore) expected.add_pixels(gt[i], pred[i], 1);

  const auto dir = test::temp_dir("semantic_eval_layouts");
  io::write_png((dir / "gt.png").string(), label_image(gt, w, h, 8, false));
  struct Layout {
    const char* name;
    int depth;
    bool palette;
  };
  const Layout layouts[] = {{"grey8", 8, false}, {"grey16", 16, false}, {"palette", 8, true}};
  const auto map = LabelMap::identity(kClasses, kIgnore);
  for (const auto& l : layouts) {
    const std::string pred_png = (dir / (std::string(l.name) + ".png")).string();
    io::write_png(pred_png, label_image(pred, w, h, l.depth, l.palette));
    // Also as the ground truth, against itself: a 16-bit or palette GT row meets each prediction.
    SemanticEvalOptions o;
    o.threads = 1, o.progress = false;
    const auto m = evaluate_semantic({{"a", (dir / "gt.png").string(), pred_png}}, kClasses, map, map, o);
    EXPECT_TRUE(m == expected) << l.name;
    ConfusionMatrix self(kClasses);
    for (auto v : pred) self.add_pixels(v, v, 1);
    EXPECT_TRUE(evaluate_semantic({{"b", pred_png, pred_png}}, kClasses, map, map, o) == self) << l.name;
  }
  // 4-bit grey (the writer keeps 8 bits, so the file is built by hand): two samples a byte,
  // high nibble first.
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < w; x += 2) {
      const int hi = pred[std::size_t(y) * w + x];
      const int lo = x + 1 < w ? pred[std::size_t(y) * w + x + 1] : 0;
      raw += char(hi << 4 | lo);
    }
  }
  const std::string grey4 = (dir / "grey4.png").string();
  write_grey_png(grey4, w, h, 4, raw);
  SemanticEvalOptions o;
  o.threads = 1, o.progress = false;
  EXPECT_TRUE(evaluate_semantic({{"c", (dir / "gt.png").string(), grey4}}, kClasses, map, map, o) == expected);
}

TEST(SemanticEval, ColourAndMismatchedSizesAreNamedErrors) {
  const auto dir = test::temp_dir("semantic_eval_bad");
  std::vector<std::uint16_t> small(20, 1), big(30, 1);
  io::write_png((dir / "gt.png").string(), label_image(small, 5, 4, 8, false));
  io::write_png((dir / "wide.png").string(), label_image(big, 6, 5, 8, false));
  io::Image colour;
  colour.width = 5, colour.height = 4, colour.channels = 3;
  colour.data.assign(60, 1);
  io::write_png((dir / "colour.png").string(), colour);
  const auto map = LabelMap::identity(kClasses, kIgnore);
  SemanticEvalOptions o;
  o.threads = 1, o.progress = false;
  for (const char* bad : {"wide.png", "colour.png"}) {
    const std::string path = (dir / bad).string();
    try {
      evaluate_semantic({{"x", (dir / "gt.png").string(), path}}, kClasses, map, map, o);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError);
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace segx::metrics
