// COCO instances (ground truth) and COCO results (detections) as COCOeval sees them, read with
// RapidJSON for speed on large files. Segmentations stay in their source form (compressed string,
// uncompressed counts or polygons) until an evaluation worker needs the mask.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "segx/mask/rle.hpp"

namespace segx::metrics {

// What to read: masks (segm evaluation) and/or boxes (bbox evaluation). Masks are converted to
// RLE while loading (COCO.annToRLE: polygons with the image size, RLEs with their own size), on
// `threads` threads.
struct CocoReadOptions {
  bool masks = true;
  bool boxes = true;
  int threads = 0;
};

struct CocoObject {
  int64_t id = 0;
  uint32_t image = 0;     // index into CocoGroundTruth::images (sorted by id)
  uint32_t category = 0;  // index into CocoGroundTruth::categories (sorted by id)
  bool iscrowd = false;
  double area = 0;
  double score = 0;  // detections only
  mask::Box bbox{0, 0, 0, 0};
  bool has_bbox = false;
  // The mask, when masks were read: decoded in `rle`, or (a compressed counts string from a
  // file) still compressed in `rle_string`, a view into the text its CocoGroundTruth or
  // CocoResults keeps, with rle.height/width set and rle.counts empty. Decoded masks take about
  // four times the bytes of their strings, and writing them cost more than decoding them twice.
  mask::Rle rle;
  std::string_view rle_string;
  mask::Box mask_box{};  // to_bbox of the mask: whoever sets the mask sets it (segm IoU)
};

// The object's mask: `rle`, or `rle_string` decoded into `scratch`.
const mask::Rle& mask_of(const CocoObject& o, mask::Rle& scratch);

struct CocoImage {
  std::string id;  // the id as written (number or string), for reports
  uint32_t height = 0, width = 0;
};

struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

// Ground truth: images and categories sorted by id (COCOeval's imgIds/catIds order),
// annotations in file order.
struct CocoGroundTruth {
  std::vector<CocoImage> images;
  std::vector<CocoCategory> categories;
  std::vector<CocoObject> annotations;
  // Image lookup by the id as it appears in JSON (numbers and strings are distinct keys).
  bool numeric_image_ids = true;
  std::vector<int64_t> numeric_ids;         // sorted, parallel to images when numeric
  std::vector<std::string> string_ids;      // sorted, parallel to images otherwise
  std::shared_ptr<const std::string> text;  // the parsed file, which rle_string views point into
};

// Reads a COCO instances JSON. Throws Error(NoInput/DataError) naming the file and the record
// (syntax errors with line and column, duplicate image ids, unknown image or category ids).
CocoGroundTruth read_coco_ground_truth(const std::string& path, const CocoReadOptions& opt);
CocoGroundTruth parse_coco_ground_truth(const std::string& text, const std::string& name,
                                        const CocoReadOptions& opt);

// How loadRes derived the detections' areas, decided by the first result as pycocotools does.
enum class ResultsKind { Empty, Boxes, Masks };

struct CocoResults {
  ResultsKind kind = ResultsKind::Empty;
  std::vector<CocoObject> detections;       // id = position + 1, as loadRes numbers them
  std::shared_ptr<const std::string> text;  // the parsed file, which rle_string views point into
};

// Reads a COCO results JSON (a list of detections) against its ground truth. Results whose image
// or category is not in the ground truth, NaN or missing scores are errors (DataError).
CocoResults read_coco_results(const std::string& path, const CocoGroundTruth& gt,
                              const CocoReadOptions& opt);
CocoResults parse_coco_results(const std::string& text, const std::string& name,
                               const CocoGroundTruth& gt, const CocoReadOptions& opt);

}  // namespace segx::metrics
