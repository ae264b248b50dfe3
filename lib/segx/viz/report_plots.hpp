// Plots from the files other commands write: `segx eval pq` / `segx eval miou` JSON reports
// (per-class bars, confusion matrix), COCO AP reports with their precision array (PR curves), and
// training logs (metrics.jsonl). The kind of plot follows the file unless asked for.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "segx/viz/plots.hpp"

namespace segx::viz {

enum class PlotKind { Auto, Pr, PrClasses, Bars, Confusion, Training };

PlotKind parse_plot_kind(const std::string& text);  // "auto", "pr", "pr-classes", ...

struct PlotRequest {
  PlotKind kind = PlotKind::Auto;
  std::string value;  // bars: the per-class field ("PQ", "SQ", "RQ", "IoU", "Acc", ...)
  std::vector<std::string> fields;  // training: fields to plot (default: the losses)
  double smoothing = 0.6;           // training: EMA weight (0 = raw only)
  bool log_y = false;               // training
  bool counts = false;              // confusion: raw pixel counts instead of row-normalised
  int columns = 0;                  // pr-classes: charts per row
  std::string title;                // default: from the file
};

// Renders the plot asked for from `path` ("-" = stdin). Errors name the file.
cv::Mat3b render_plot_file(const std::string& path, const PlotRequest& request);

// The `segx eval ap --json` report's precision array as a table (area "all", the largest
// max-detections setting).
PrecisionTable precision_table_from_json(const nlohmann::json& report, const std::string& what);

}  // namespace segx::viz
