// Reading eval reports and training logs into plots for segx::viz.
#include "segx/viz/report_plots.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/metrics/report_info.hpp"

namespace segx::viz {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number_or_nan(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : kNaN;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string title_or(const PlotRequest& r, const std::string& fallback) {
  return r.title.empty() ? fallback : r.title;
}

// The key of `c` equal to `field` ignoring case: reports spell metrics "pq" or "IoU", users "PQ".
const nlohmann::json* field_ignoring_case(const nlohmann::json& c, const std::string& field) {
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  for (const auto& [key, value] : c.items())
    if (lower(key) == lower(field)) return &value;
  return nullptr;
}

// Per-class values of a PQ report (per_class keyed by category id) or an mIoU report (per_class
// array).
cv::Mat3b class_bars(const nlohmann::json& report, const PlotRequest& r, const std::string& what) {
  const std::string metric = report.value("metric", "");
  const std::string field = !r.value.empty() ? r.value : metric == "miou" ? "IoU" : "PQ";
  const auto& per_class = report.at("per_class");
  std::vector<std::string> names;
  std::vector<double> values;
  auto add = [&](const nlohmann::json& c) {
    const nlohmann::json* v = field_ignoring_case(c, field);
    if (!v) fail(ErrorKind::Usage, "'{}' has no per-class field '{}'", what, field);
    names.push_back(c.value("name", "?"));
    values.push_back(number_or_nan(*v));
  };
  if (per_class.is_object()) {
    for (const auto& [id, c] : per_class.items()) add(c);
  } else {
    for (const auto& c : per_class) add(c);
  }
  std::string label = field;
  return render_class_bars(names, values,
                           title_or(r, fmt::format("{} per class ({})", field, what)), label, true);
}

cv::Mat3b confusion(const nlohmann::json& report, const PlotRequest& r, const std::string& what) {
  const auto& counts = report.at("confusion_matrix").at("counts");
  std::vector<std::string> names;
  for (const auto& c : report.at("per_class")) names.push_back(c.value("name", "?"));
  const int n = static_cast<int>(names.size());
  if (static_cast<int>(counts.size()) != n)
    fail(ErrorKind::DataError, "'{}': the confusion matrix has {} rows for {} classes", what,
         counts.size(), n);
  cv::Mat1d m(n, n, 0.0);
  for (int g = 0; g < n; ++g)
    for (int p = 0; p < n; ++p)
      m(g, p) = counts.at(g).at(p).get<double>();  // the last column ("none") is left out
  return render_confusion(names, m, !r.counts,
                          title_or(r, fmt::format("confusion matrix ({})", what)));
}

}  // namespace

PlotKind parse_plot_kind(const std::string& text) {
  if (text == "auto") return PlotKind::Auto;
  if (text == "pr") return PlotKind::Pr;
  if (text == "pr-classes") return PlotKind::PrClasses;
  if (text == "bars") return PlotKind::Bars;
  if (text == "confusion") return PlotKind::Confusion;
  if (text == "training") return PlotKind::Training;
  fail(ErrorKind::Usage, "unknown plot kind '{}'", text);
}

PrecisionTable precision_table_from_json(const nlohmann::json& report, const std::string& what) {
  // `segx eval ap --json`: params.{iou,recall}_thresholds, per_category names, and precision as
  // {"shape": [T, R, K, A, M], "data": [...]} in numpy's C order (COCOeval.eval["precision"]).
  try {
    PrecisionTable t;
    t.iou_thresholds = report.at("params").at("iou_thresholds").get<std::vector<double>>();
    t.recall_thresholds = report.at("params").at("recall_thresholds").get<std::vector<double>>();
    for (const auto& c : report.at("per_category")) t.class_names.push_back(c.value("name", "?"));
    auto shape = report.at("precision").at("shape").get<std::vector<std::size_t>>();
    const auto& data = report.at("precision").at("data");
    const std::size_t T = t.iou_thresholds.size(), R = t.recall_thresholds.size(),
                      K = t.class_names.size();
    if (shape.size() != 5 || shape[0] != T || shape[1] != R || shape[2] != K || shape[3] == 0 ||
        shape[4] == 0 || data.size() != T * R * K * shape[3] * shape[4])
      fail(ErrorKind::DataError,
           "'{}': the precision array does not match {} IoU x {} recall x {} classes", what, T, R,
           K);
    const std::size_t A = shape[3], M = shape[4], a = 0,
                      m = M - 1;  // area "all", the largest maxDets
    t.values.assign(T * R * K, -1.0);
    for (std::size_t i = 0; i < T; ++i)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t k = 0; k < K; ++k)
          t.values[(i * R + r) * K + k] =
              number_or_nan(data[(((i * R + r) * K + k) * A + a) * M + m]);
    check_precision_table(t, what);
    return t;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "'{}' is not a COCO AP report with a precision array: {}", what,
         e.what());
  }
}

cv::Mat3b render_plot_file(const std::string& path, const PlotRequest& r) {
  const std::string what =
      io::is_std_stream(path) ? "stdin" : std::filesystem::path(path).filename().string();
  PlotKind kind = r.kind;
  if (kind == PlotKind::Training || (kind == PlotKind::Auto && ends_with(path, ".jsonl"))) {
    TrainingLog log = read_training_log(path);
    auto fields = r.fields.empty() ? default_training_fields(log) : r.fields;
    if (fields.empty())
      fail(ErrorKind::DataError, "'{}' has no loss fields; name some with --fields", path);
    return render_training_curves(log, fields, r.smoothing, r.log_y,
                                  title_or(r, "training: " + what));
  }
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(io::read_all(path));
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "cannot parse '{}': {}", path, e.what());
  }
  metrics::check_report_schema(report, path);
  try {
    if (kind == PlotKind::Auto) {
      if (report.contains("precision"))
        kind = PlotKind::Pr;
      else if (report.contains("per_class"))
        kind = PlotKind::Bars;
      else
        fail(ErrorKind::DataError,
             "'{}' is neither an eval report with per_class values nor a COCO AP report", path);
    }
    switch (kind) {
      case PlotKind::Pr:
        return render_pr_overall(precision_table_from_json(report, path),
                                 title_or(r, "precision-recall: " + what));
      case PlotKind::PrClasses:
        return render_pr_per_class(precision_table_from_json(report, path), r.columns,
                                   title_or(r, "precision-recall per class: " + what));
      case PlotKind::Confusion:
        return confusion(report, r, path);
      default:
        return class_bars(report, r, what);
    }
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "'{}' lacks what the plot needs: {}", path, e.what());
  }
}

}  // namespace segx::viz
