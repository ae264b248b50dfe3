// Evaluation and training plots: precision-recall curves from COCO AP's precision array (overall
// and per class), per-class bar charts, confusion-matrix heat maps, and training curves read from
// metrics.jsonl (one JSON object per line with an "iteration" and loss fields).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace segx::viz {

// COCOeval's accumulated precision for one area range and max-detections setting, as pycocotools
// keeps it: precision[t][r][k] for IoU threshold t, recall threshold r, category k; -1 = no data.
struct PrecisionTable {
  std::vector<double> iou_thresholds;     // T, e.g. 0.50:0.05:0.95
  std::vector<double> recall_thresholds;  // R, e.g. 0:0.01:1
  std::vector<std::string> class_names;   // K
  std::vector<double> values;             // T * R * K, index (t * R + r) * K + k
  double at(std::size_t t, std::size_t r, std::size_t k) const {
    return values[(t * recall_thresholds.size() + r) * class_names.size() + k];
  }
};

// Checks the table's shape; `what` names the source in the error.
void check_precision_table(const PrecisionTable& table, const std::string& what);

// Precision over recall averaged over categories (entries of -1 left out, as pycocotools' summarize
// does), at IoU 0.50, 0.75 and averaged over all thresholds; the legend gives each curve's AP.
cv::Mat3b render_pr_overall(const PrecisionTable& table, const std::string& title);

// One small chart per category (AP over all thresholds in its title), `columns` per row.
cv::Mat3b render_pr_per_class(const PrecisionTable& table, int columns, const std::string& title);

// AP of a category from the table (mean over thresholds and recalls, -1 entries left out); NaN if
// none.
double average_precision(const PrecisionTable& table, std::size_t k, int t = -1);

// Horizontal bars, one per class, largest first when `sort` is set; NaN values come last as "n/a".
cv::Mat3b render_class_bars(const std::vector<std::string>& names,
                            const std::vector<double>& values, const std::string& title,
                            const std::string& value_label, bool sort);

// Confusion matrix (rows: ground truth, columns: prediction). With `normalize` each row is divided
// by its sum so that the diagonal reads as per-class recall.
cv::Mat3b render_confusion(const std::vector<std::string>& names, const cv::Mat1d& counts,
                           bool normalize, const std::string& title);

// Numeric fields of metrics.jsonl by iteration; lines without "iteration" (e.g. headers) are
// skipped.
struct TrainingLog {
  std::map<std::string, std::vector<std::pair<double, double>>>
      fields;  // name -> (iteration, value)
};

// Reads metrics.jsonl ("-" = stdin); a malformed line fails with its file and line number.
TrainingLog read_training_log(const std::string& path);

// Records are flat JSON objects with an "iteration"; numbers nested one level deep are named
// "outer.inner" (segx train's {"eval": {"PQ": ...}} gives "eval.PQ").
// The fields plotted by default: every field whose name contains "loss", "total_loss" first,
// without deep supervision's per-layer copies ("loss_ce_0", ...).
std::vector<std::string> default_training_fields(const TrainingLog& log);

// Loss curves (raw in a light shade, smoothed by an exponential moving average of weight
// `smoothing` on top), then the validation metrics (eval.PQ, eval.PQ_th, eval.PQ_st, eval.mIoU,
// eval.mask_AP) when the log has them, then the learning rate when it has "lr".
cv::Mat3b render_training_curves(const TrainingLog& log, const std::vector<std::string>& fields,
                                 double smoothing, bool log_scale, const std::string& title);

}  // namespace segx::viz
