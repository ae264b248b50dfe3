// Panoptic quality (PQ, SQ, RQ) exactly as panopticapi's pq_compute, with a mergeable accumulator.
//
// Per image, the caller supplies the GT and predicted segment lists (from the JSON) and the pixel
// overlap of the two id maps (from PNGs or RLE); evaluate_panoptic_image() applies panopticapi's
// matching rules and returns per-category counts. PanopticQuality sums those counts.
//
// Why the IoU sums are exact: a matched IoU lies in (0.5, 1], where every double is an integer
// multiple of 2^-53. Each IoU is therefore stored as that integer and summed in 128 bits, so the
// per-class sum is exact and independent of image order, thread count and sharding; it is rounded
// to double once, when the metrics are computed. A sharded run merged with `segx eval merge` is
// bit for bit the single run. (panopticapi sums doubles in its per-process order; the results
// agree with it to ~1e-16 relative, well inside the 1e-12 parity tolerance.)
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace segx::metrics {

constexpr std::uint32_t kPanopticVoid = 0;              // panopticapi VOID
constexpr std::uint64_t kPanopticOffset = 256 * 256 * 256;  // panopticapi OFFSET (ids < 2^24)

struct PanopticCategory {
  std::int64_t id = 0;
  std::string name;
  bool isthing = false;
};

// One entry of a COCO panoptic `segments_info`. For predictions `area` is ignored: panopticapi
// takes the predicted area from the PNG (the overlap), the GT area from the JSON.
struct PanopticSegment {
  std::uint32_t id = 0;
  std::int64_t category_id = 0;
  bool iscrowd = false;
  std::int64_t area = 0;
};

// Exact sum of IoUs in (0.5, 1], in units of 2^-53 (see the file comment).
class IouSum {
 public:
  void add(double iou);
  IouSum& operator+=(const IouSum& other) {
    units_ += other.units_;
    return *this;
  }
  bool operator==(const IouSum& other) const { return units_ == other.units_; }
  double value() const;  // the exact sum, rounded once to double
  std::string to_string() const;  // decimal units, for partial accumulator files
  static IouSum from_string(const std::string& text);  // throws std::invalid_argument

 private:
  unsigned __int128 units_ = 0;
};

struct PqClassStat {
  std::int64_t tp = 0, fp = 0, fn = 0;
  IouSum iou;
  PqClassStat& operator+=(const PqClassStat& o) {
    tp += o.tp;
    fp += o.fp;
    fn += o.fn;
    iou += o.iou;
    return *this;
  }
  bool operator==(const PqClassStat& o) const {
    return tp == o.tp && fp == o.fp && fn == o.fn && iou == o.iou;
  }
};

// Per-category counts, keyed by category id.
using PqStats = std::map<std::int64_t, PqClassStat>;

// Pixel counts of every (gt id, pred id) pair present in an image: panopticapi's gt_pred_map.
class PanopticOverlap {
 public:
  void add(std::uint32_t gt_id, std::uint32_t pred_id, std::uint64_t pixels) {
    pairs_[std::uint64_t(gt_id) * kPanopticOffset + pred_id] += pixels;
  }
  std::uint64_t get(std::uint32_t gt_id, std::uint32_t pred_id) const;
  const std::unordered_map<std::uint64_t, std::uint64_t>& pairs() const { return pairs_; }
  static std::uint32_t gt_of(std::uint64_t key) { return std::uint32_t(key / kPanopticOffset); }
  static std::uint32_t pred_of(std::uint64_t key) { return std::uint32_t(key % kPanopticOffset); }
  void clear() { pairs_.clear(); }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> pairs_;
};

// Counts the overlap of two row-major id maps of `pixels` entries (id = R + 256 G + 256^2 B).
void count_overlap(const std::uint32_t* gt_ids, const std::uint32_t* pred_ids, std::size_t pixels,
                   PanopticOverlap& out);

// count_overlap over pieces handed in scan order (rows, as a PNG decodes), so that the counting
// happens while a row is in cache. A run of one (gt, pred) pair that goes on into the next piece
// is counted once, as in the whole-map form.
class OverlapCounter {
 public:
  explicit OverlapCounter(PanopticOverlap& out) : out_(out) {}
  void add(const std::uint32_t* gt_ids, const std::uint32_t* pred_ids, std::size_t pixels);
  // A run of `pixels` pixels of one pair.
  void add_run(std::uint32_t gt_id, std::uint32_t pred_id, std::uint64_t pixels) {
    if (run_ && (gt_id != gt_ || pred_id != pred_)) out_.add(gt_, pred_, run_), run_ = 0;
    gt_ = gt_id, pred_ = pred_id, run_ += pixels;
  }
  // Counts the pending run; call once after the last piece.
  void finish();

 private:
  PanopticOverlap& out_;
  std::uint32_t gt_ = 0, pred_ = 0;  // the pair of the pending run
  std::uint64_t run_ = 0;            // its length so far
};

// A row-major label map as the runs of each row, built row by row: a few runs per row instead of
// 4 bytes a pixel, so a whole ground-truth map stays in cache while a prediction is counted
// against it, and counting merges runs instead of comparing pixels.
class RowRuns {
 public:
  void clear() {
    ids_.clear(), ends_.clear();
    row_start_.assign(1, 0);
  }
  // Appends the next row (rows in order from 0) given as runs: ids[i] up to column ends[i].
  void add_row(const std::uint32_t* ids, const std::uint32_t* ends, std::size_t runs);
  std::size_t rows() const { return row_start_.size() - 1; }
  // Counts the overlap of this map's row y with a prediction row of the same width, also given
  // as runs: a merge of the two run lists, no pixel touched.
  void count_row(std::size_t y, const std::uint32_t* ids, const std::uint32_t* ends,
                 std::size_t runs, OverlapCounter& counter) const;

 private:
  std::vector<std::uint32_t> ids_, ends_;  // run i: ids_[i] up to column ends_[i] (exclusive)
  std::vector<std::size_t> row_start_{0};  // first run of each row; one past the last at the end
};

// A label map as runs: `lengths[i]` consecutive pixels (in some fixed scan order, the same for GT
// and prediction) carry segment id `ids[i]`. RLE inputs use COCO's column-major order.
struct IdRuns {
  std::vector<std::uint32_t> ids;
  std::vector<std::uint32_t> lengths;
};

// Counts the overlap of two run-length label maps of the same total length without expanding
// them to pixels; throws std::invalid_argument when the totals differ.
void count_overlap(const IdRuns& gt, const IdRuns& pred, PanopticOverlap& out);

// Names used in error messages for one image: "'pred/1.png' (image 1): ...".
struct PanopticImageContext {
  std::string image_id;
  std::string gt_source;    // the GT PNG (or manifest) the ids come from
  std::string pred_source;  // the prediction PNG (or manifest)
  std::string pred_json;    // the prediction JSON (or manifest) that lists the segments
};

// The categories of the evaluation, in GT JSON order (panopticapi averages in that order).
class PanopticCategories {
 public:
  explicit PanopticCategories(std::vector<PanopticCategory> categories);
  const std::vector<PanopticCategory>& list() const { return list_; }
  bool contains(std::int64_t id) const { return index_.count(id) != 0; }

 private:
  std::vector<PanopticCategory> list_;
  std::unordered_map<std::int64_t, std::size_t> index_;
};

// Applies panopticapi's pq_compute_single_core rules to one image and returns its counts.
// Throws Error(DataError) for what panopticapi rejects (a predicted segment in the PNG but not in
// the JSON or the reverse, an unknown predicted category) and, stricter than panopticapi, for GT
// segments whose ids or categories disagree with the PNG or the category list, and duplicate
// segment ids (panopticapi would silently keep the last).
PqStats evaluate_panoptic_image(const std::vector<PanopticSegment>& gt,
                                const std::vector<PanopticSegment>& pred,
                                const PanopticOverlap& overlap,
                                const PanopticCategories& categories,
                                const PanopticImageContext& context);

// PQ, SQ, RQ of one group (All, Things, Stuff or a single class).
struct PqValues {
  double pq = 0, sq = 0, rq = 0;
  int n = 0;  // classes averaged (1 for a class with TP+FP+FN > 0, else 0)
};

struct PqClassResult {
  PanopticCategory category;
  PqValues values;
  PqClassStat stat;
};

struct PqSummary {
  PqValues all, things, stuff;
  std::vector<PqClassResult> per_class;  // every category, in category order
};

// panopticapi's pq_average over `stats` for All/Things/Stuff, plus per-class values.
PqSummary summarize_pq(const PqStats& stats, const PanopticCategories& categories);

// Accumulates per-image counts. Merging is integer addition, hence exact and order-independent.
class PanopticQuality {
 public:
  void add(const PqStats& image_stats);
  void merge(const PanopticQuality& other) { add(other.stats_); }
  const PqStats& stats() const { return stats_; }
  bool operator==(const PanopticQuality& o) const { return stats_ == o.stats_; }

 private:
  PqStats stats_;
};

}  // namespace segx::metrics
