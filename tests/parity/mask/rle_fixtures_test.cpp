// RLE parity with pycocotools on the shared fixtures: panoptic PNG segments re-encode to the exact
// strings panopticapi wrote, polygon and uncompressed-RLE areas match what pycocotools computed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <map>

#include "segx/mask/polygon.hpp"
#include "segx/mask/rle.hpp"
#include "support/fixtures.hpp"

namespace segx::mask {
namespace {

nlohmann::json load_json(const std::filesystem::path& p) {
  return nlohmann::json::parse(test::read_file(p));
}

// The panoptic id map of a COCO panoptic PNG: id = R + 256 G + 256^2 B (OpenCV reads BGR).
std::vector<uint32_t> read_ids(const std::filesystem::path& png, uint32_t& h, uint32_t& w) {
  cv::Mat img = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  if (img.empty() || img.type() != CV_8UC3) throw std::runtime_error("bad PNG " + png.string());
  h = uint32_t(img.rows);
  w = uint32_t(img.cols);
  std::vector<uint32_t> ids(size_t(h) * w);
  for (uint32_t y = 0; y < h; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(int(y));
    for (uint32_t x = 0; x < w; ++x)
      ids[size_t(y) * w + x] = row[3 * x + 2] + 256u * row[3 * x + 1] + 65536u * row[3 * x];
  }
  return ids;
}

TEST(MaskParity, PanopticSegmentsReencodeToInstanceStrings) {
  SEGX_REQUIRE_FIXTURES();
  const auto dir = test::fixtures_root() / "synth" / "n200";
  const auto pan = load_json(dir / "panoptic_gt.json");
  const auto inst = load_json(dir / "instances_gt.json");
  std::map<int, bool> isthing;
  for (const auto& c : pan["categories"]) isthing[c["id"].get<int>()] = c["isthing"].get<int>();

  // panoptic2detection walks images and their thing segments in order; ids were renumbered.
  size_t next = 0, compared = 0;
  const auto& anns = inst["annotations"];
  for (const auto& image : pan["annotations"]) {
    uint32_t h = 0, w = 0;
    const auto ids = read_ids(dir / "panoptic_gt" / image["file_name"].get<std::string>(), h, w);
    const auto rles = encode_labels(ids.data(), h, w);
    std::map<uint32_t, const Rle*> by_id;
    for (const auto& [id, rle] : rles) by_id[id] = &rle;
    for (const auto& seg : image["segments_info"]) {
      if (!isthing[seg["category_id"].get<int>()]) continue;
      ASSERT_LT(next, anns.size());
      const auto& ann = anns[next++];
      ASSERT_EQ(ann["image_id"], image["image_id"]);
      const uint32_t sid = seg["id"].get<uint32_t>();
      ASSERT_TRUE(by_id.count(sid)) << "segment " << sid;
      const Rle& rle = *by_id.at(sid);
      EXPECT_EQ(rle, encode_label(ids.data(), h, w, sid));
      const auto& s = ann["segmentation"];
      EXPECT_EQ(to_string(rle), s["counts"].get<std::string>()) << "annotation " << ann["id"];
      EXPECT_EQ(s["size"][0].get<uint32_t>(), h);
      EXPECT_EQ(s["size"][1].get<uint32_t>(), w);
      EXPECT_EQ(double(area(rle)), ann["area"].get<double>());
      const Box box = to_bbox(rle);
      for (int k = 0; k < 4; ++k) EXPECT_EQ(box[k], ann["bbox"][k].get<double>());
      ++compared;
    }
  }
  EXPECT_EQ(next, anns.size());
  EXPECT_GT(compared, 1000u);
}

TEST(MaskParity, CompressedStringsRoundTripByteForByte) {
  SEGX_REQUIRE_FIXTURES();
  const auto root = test::fixtures_root();
  size_t n = 0;
  for (const auto& rel : {"synth/n200/results_segm.json",
                          "real/cocoapi_val2014_100/instances_val2014_fakesegm100_results.json"}) {
    for (const auto& r : load_json(root / rel)) {
      const auto& s = r["segmentation"];
      const std::string counts = s["counts"].get<std::string>();
      const Rle rle = from_string(counts, s["size"][0], s["size"][1]);
      EXPECT_TRUE(covers_image(rle)) << rel;
      EXPECT_EQ(to_string(rle), counts) << rel;
      ++n;
    }
  }
  EXPECT_GT(n, 1000u);
}

// COCO's crowd `area` values are not the RLE pixel counts, so only the structure is checked here.
TEST(MaskParity, UncompressedCrowdRlesCoverTheImageAndRoundTrip) {
  SEGX_REQUIRE_FIXTURES();
  const auto gt =
      load_json(test::fixtures_root() / "real/cocoapi_val2014_100/instances_val2014_100.json");
  size_t crowds = 0;
  for (const auto& a : gt["annotations"]) {
    if (!a["segmentation"].is_object()) continue;
    const auto& s = a["segmentation"];
    const Rle rle =
        from_counts(s["counts"].get<std::vector<uint32_t>>(), s["size"][0], s["size"][1]);
    EXPECT_TRUE(covers_image(rle));
    EXPECT_GT(area(rle), 0u);
    EXPECT_EQ(from_string(to_string(rle), rle.height, rle.width), rle);
    ++crowds;
  }
  EXPECT_EQ(crowds, 9u);
}

// The fixtures store shoelace areas, not pycocotools pixel counts, so this is a sanity bound; exact
// rasterisation parity is shown by the segm AP parity tests on polygon ground truth.
TEST(MaskParity, PolygonPixelAreasAreCloseToShoelaceAreas) {
  SEGX_REQUIRE_FIXTURES();
  const auto gt =
      load_json(test::fixtures_root() / "real/cocoapi_val2014_100/instances_val2014_100.json");
  std::map<long, std::pair<uint32_t, uint32_t>> sizes;
  for (const auto& im : gt["images"]) sizes[im["id"]] = {im["height"], im["width"]};
  size_t n = 0;
  for (const auto& a : gt["annotations"]) {
    if (!a["segmentation"].is_array() || a["area"].get<double>() < 1000) continue;
    const auto [h, w] = sizes.at(a["image_id"]);
    const Rle rle = from_polygons(a["segmentation"].get<std::vector<std::vector<double>>>(), h, w);
    EXPECT_NEAR(double(area(rle)) / a["area"].get<double>(), 1.0, 0.05) << "annotation " << a["id"];
    ++n;
  }
  EXPECT_GT(n, 300u);
}

}  // namespace
}  // namespace segx::mask
