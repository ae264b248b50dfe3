// COCO RLE on hand-made masks: run layout, compressed strings worked out by hand, box, merge.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "segx/core/error.hpp"
#include "segx/mask/rle.hpp"

namespace segx::mask {

using Counts = std::vector<uint32_t>;

TEST(RleEncode, ColumnMajorRunsStartWithZeros) {
  // 3 rows x 2 columns, column-major: column 0 = 0,0,1 ; column 1 = 1,1,0
  const uint8_t col[] = {0, 0, 1, 1, 1, 0};
  EXPECT_EQ(encode_column_major(col, 3, 2).counts, (Counts{2, 3, 1}));
  const uint8_t ones[] = {1, 1, 1, 1};
  EXPECT_EQ(encode_column_major(ones, 2, 2).counts, (Counts{0, 4}));
  const uint8_t zeros[] = {0, 0, 0, 0};
  EXPECT_EQ(encode_column_major(zeros, 2, 2).counts, (Counts{4}));
}

TEST(RleEncode, RowMajorInputIsTransposed) {
  // Same mask as above written row by row: row0 = 0 1, row1 = 0 1, row2 = 1 0.
  const uint8_t row[] = {0, 1, 0, 1, 1, 0};
  const Rle rle = encode_row_major(row, 3, 2);
  EXPECT_EQ(rle.height, 3u);
  EXPECT_EQ(rle.width, 2u);
  EXPECT_EQ(rle.counts, (Counts{2, 3, 1}));
  EXPECT_EQ(decode_row_major(rle), std::vector<uint8_t>(row, row + 6));
  EXPECT_EQ(decode_column_major(rle), (std::vector<uint8_t>{0, 0, 1, 1, 1, 0}));
}

TEST(RleEncode, LabelsInOnePassEqualOneLabelAtATime) {
  // 4 x 5 id map (row-major) with a label touching the last pixel and one spanning columns.
  const uint32_t ids[] = {0, 7, 7, 0, 3,  //
                          0, 7, 7, 0, 3,  //
                          5, 5, 0, 0, 3,  //
                          5, 5, 0, 9, 9};
  const auto all = encode_labels(ids, 4, 5);
  ASSERT_EQ(all.size(), 4u);
  const uint32_t expected_ids[] = {3, 5, 7, 9};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].first, expected_ids[i]);
    EXPECT_EQ(all[i].second, encode_label(ids, 4, 5, expected_ids[i])) << expected_ids[i];
  }
  // id 9 covers (3,3) and (4,3): column-major positions 15 and 19, the last pixel.
  EXPECT_EQ(all[3].second.counts, (Counts{15, 1, 3, 1}));
  // id 7: column 1 rows 0-1 (positions 4,5) and column 2 rows 0-1 (8,9).
  EXPECT_EQ(all[2].second.counts, (Counts{4, 2, 2, 2, 10}));
}

// Random maps of few ids (long vertical runs that cross column ends, blocks of 16 with and
// without changes, widths that are not multiples of 16) against the one-id encoder.
TEST(RleEncode, LabelsMatchOneIdAtATimeOnRandomMaps) {
  std::mt19937 rng(7);
  // Tall maps give columns more runs than the encoder keeps in place (64), so some spill.
  const std::pair<uint32_t, uint32_t> sizes[] = {{1, 1},   {1, 37},  {29, 1},  {7, 16},
                                                 {16, 33}, {48, 64}, {23, 50}, {300, 9}};
  for (const auto& [h, w] : sizes)
    for (int trial = 0; trial < 20; ++trial) {
      // Few ids and a high chance of repeating the pixel above keep the runs long.
      const uint32_t n_ids = 1 + rng() % 4;
      std::vector<uint32_t> ids(size_t(h) * w);
      for (size_t i = 0; i < ids.size(); ++i)
        ids[i] = (i >= w && rng() % 4 != 0) ? ids[i - w] : uint32_t(rng() % n_ids) * 3;
      const auto all = encode_labels(ids.data(), h, w);
      std::vector<uint32_t> distinct;
      for (uint32_t v : ids)
        if (v && std::find(distinct.begin(), distinct.end(), v) == distinct.end())
          distinct.push_back(v);
      std::sort(distinct.begin(), distinct.end());
      ASSERT_EQ(all.size(), distinct.size()) << h << "x" << w;
      for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].first, distinct[i]);
        EXPECT_EQ(all[i].second, encode_label(ids.data(), h, w, distinct[i]))
            << h << "x" << w << " id " << distinct[i];
      }
    }
}

// Ids that change every row or two: 150-300 runs in each column, most of them spilled.
TEST(RleEncode, ColumnsWithManyRunsEqualOneIdAtATime) {
  const uint32_t h = 300, w = 7;
  std::vector<uint32_t> ids(size_t(h) * w);
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) ids[size_t(y) * w + x] = (y / (1 + x % 2) + x) % 3;
  const auto all = encode_labels(ids.data(), h, w);
  ASSERT_EQ(all.size(), 2u);
  for (const auto& [id, rle] : all) EXPECT_EQ(rle, encode_label(ids.data(), h, w, id)) << id;
}

TEST(RleString, MatchesHandEncodedExamples) {
  EXPECT_EQ(to_string(Rle{2, 2, {0, 4}}), "04");
  // 100 = 3*32 + 4: low group 4 with the continuation bit (36 -> 'T'), then 3.
  EXPECT_EQ(to_string(Rle{10, 10, {100}}), "T3");
  // From the fourth count on, differences: 1 - 3 = -2 -> 30 -> 'N'.
  EXPECT_EQ(to_string(Rle{11, 1, {5, 3, 2, 1}}), "532N");
  // 16 needs a second group: its sign bit is set although it is positive.
  EXPECT_EQ(to_string(Rle{4, 4, {16}}), "`0");  // 16 + continuation 32 = 48 -> '`'
}

TEST(RleString, RoundTripsAndRejectsGarbage) {
  const Rle rle{480, 640, {1000, 17, 3, 500, 2, 40000, 0, 5}};
  const std::string s = to_string(rle);
  EXPECT_EQ(from_string(s, 480, 640), rle);
  EXPECT_EQ(from_string("532N", 11, 1).counts, (Counts{5, 3, 2, 1}));
  EXPECT_THROW(from_string("5 3", 11, 1), Error);
  EXPECT_THROW(from_string("T", 10, 10), Error);  // continuation bit on the last character
}

TEST(RleOps, AreaBoxAndCoverage) {
  // 4x4 mask, one pixel at x=1, y=2: column-major position 6.
  const Rle dot{4, 4, {6, 1, 9}};
  EXPECT_EQ(area(dot), 1u);
  EXPECT_EQ(to_bbox(dot), (Box{1, 2, 1, 1}));
  EXPECT_TRUE(covers_image(dot));
  EXPECT_FALSE(covers_image(Rle{4, 4, {6, 1, 8}}));
  // A run wrapping from column 0 (rows 3) into column 1 (rows 0): full height.
  const Rle wrap{4, 4, {3, 2, 11}};
  EXPECT_EQ(to_bbox(wrap), (Box{0, 0, 2, 4}));
  EXPECT_EQ(to_bbox(Rle{4, 4, {16}}), (Box{0, 0, 0, 0}));
}

// The box of a single run starting at `start` and `length` long, worked out with the plain
// division and remainder that to_bbox replaces by a reciprocal (rleToBbox's own arithmetic).
Box box_of_one_run(uint32_t h, uint64_t start, uint64_t length) {
  const uint64_t first = start, last = start + length - 1;
  const uint64_t x0 = first / h, y0 = first % h, x1 = last / h, y1 = last % h;
  if (x0 < x1) return {double(x0), 0, double(x1 - x0 + 1), double(h)};
  return {double(x0), double(y0), 1, double(y1 - y0 + 1)};
}

TEST(RleOps, BoxOfOneRunAtAnyHeightAndPosition) {
  // Heights where a double reciprocal is inexact, positions at column boundaries and near 2^32.
  std::mt19937_64 rng(7);
  for (uint32_t h : {1u, 3u, 7u, 641u, 65535u, 99991u, 4294967u}) {
    const uint64_t pixels = uint64_t(h) * (uint64_t(0xfffffff0u) / h);
    std::vector<uint64_t> starts{0, h - 1u, h, 2ull * h - 1, pixels - 2, pixels / 2};
    for (int k = 0; k < 200; ++k) starts.push_back(rng() % (pixels - 1));
    for (uint64_t start : starts) {
      const uint64_t length = std::min<uint64_t>(1 + rng() % (3ull * h), pixels - start);
      const uint64_t rest = pixels - start - length;
      Counts counts{uint32_t(start), uint32_t(length)};
      if (rest) counts.push_back(uint32_t(rest));
      const Rle run{h, uint32_t(pixels / h), counts};
      EXPECT_EQ(to_bbox(run), box_of_one_run(h, start, length)) << "h " << h << " start " << start;
    }
  }
}

TEST(RleOps, MergeUnionAndIntersection) {
  const uint8_t a[] = {1, 1, 0, 0, 1, 0, 0, 0, 1};
  const uint8_t b[] = {0, 1, 1, 0, 1, 1, 0, 0, 0};
  const Rle ra = encode_column_major(a, 3, 3), rb = encode_column_major(b, 3, 3);
  uint8_t u[9], n[9];
  for (int i = 0; i < 9; ++i) {
    u[i] = a[i] | b[i];
    n[i] = a[i] & b[i];
  }
  EXPECT_EQ(merge({ra, rb}), encode_column_major(u, 3, 3));
  EXPECT_EQ(merge({ra, rb}, true), encode_column_major(n, 3, 3));
  EXPECT_EQ(merge({ra}), ra);
  EXPECT_EQ(merge({ra, Rle{2, 2, {4}}}), Rle{});  // sizes differ
}

}  // namespace segx::mask
