// Evaluation and training plots of segx::viz, built on chart.hpp.
#include "segx/viz/plots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/viz/chart.hpp"
#include "segx/viz/legend.hpp"

namespace segx::viz {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean precision over categories at one IoU threshold index (or all, t < 0) per recall threshold.
std::vector<double> mean_curve(const PrecisionTable& p, int t, int k) {
  const std::size_t R = p.recall_thresholds.size(), K = p.class_names.size(),
                    T = p.iou_thresholds.size();
  std::vector<double> curve(R, kNaN);
  for (std::size_t r = 0; r < R; ++r) {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t ti = 0; ti < T; ++ti) {
      if (t >= 0 && ti != static_cast<std::size_t>(t)) continue;
      for (std::size_t ki = 0; ki < K; ++ki) {
        if (k >= 0 && ki != static_cast<std::size_t>(k)) continue;
        double v = p.at(ti, r, ki);
        if (v > -1) sum += v, ++n;
      }
    }
    if (n) curve[r] = sum / static_cast<double>(n);
  }
  return curve;
}

double mean_of(const PrecisionTable& p, int t, int k) {
  const std::size_t R = p.recall_thresholds.size(), K = p.class_names.size(),
                    T = p.iou_thresholds.size();
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t ti = 0; ti < T; ++ti)
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t ki = 0; ki < K; ++ki) {
        if ((t >= 0 && ti != static_cast<std::size_t>(t)) ||
            (k >= 0 && ki != static_cast<std::size_t>(k)))
          continue;
        double v = p.at(ti, r, ki);
        if (v > -1) sum += v, ++n;
      }
  return n ? sum / static_cast<double>(n) : kNaN;
}

int threshold_index(const PrecisionTable& p, double iou) {
  for (std::size_t i = 0; i < p.iou_thresholds.size(); ++i)
    if (std::abs(p.iou_thresholds[i] - iou) < 1e-9) return static_cast<int>(i);
  return -2;  // not in the table
}

std::string ap_text(double v) {
  return std::isnan(v) ? "n/a" : fmt::format("{:.3f}", v);
}

std::vector<Series> pr_series(const PrecisionTable& p, int k, bool names) {
  std::vector<Series> out;
  struct Curve {
    double iou;
    const char* label;
  };
  std::size_t color = 0;
  for (Curve c : {Curve{-1, "IoU .50:.95"}, Curve{0.5, "IoU .50"}, Curve{0.75, "IoU .75"}}) {
    int t = c.iou < 0 ? -1 : threshold_index(p, c.iou);
    if (t == -2) continue;
    Series s;
    s.x = p.recall_thresholds;
    s.y = mean_curve(p, t, k);
    s.color = series_color(color++);
    s.name = names ? fmt::format("{} (AP {})", c.label, ap_text(mean_of(p, t, k))) : "";
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

void check_precision_table(const PrecisionTable& p, const std::string& what) {
  std::size_t want = p.iou_thresholds.size() * p.recall_thresholds.size() * p.class_names.size();
  if (p.iou_thresholds.empty() || p.recall_thresholds.empty() || p.class_names.empty() ||
      p.values.size() != want)
    fail(ErrorKind::DataError,
         "'{}': the precision array has {} values, expected {} ({} IoU x {} recall x {} classes)",
         what, p.values.size(), want, p.iou_thresholds.size(), p.recall_thresholds.size(),
         p.class_names.size());
}

double average_precision(const PrecisionTable& table, std::size_t k, int t) {
  return mean_of(table, t, static_cast<int>(k));
}

cv::Mat3b render_pr_overall(const PrecisionTable& p, const std::string& title) {
  LineChart chart;
  chart.title = title;
  chart.x_label = "recall";
  chart.y_label = "precision";
  chart.x_min = 0, chart.x_max = 1, chart.y_min = 0, chart.y_max = 1;
  chart.series = pr_series(p, -1, true);
  chart.size = {640, 480};
  return render_line_chart(chart);
}

cv::Mat3b render_pr_per_class(const PrecisionTable& p, int columns, const std::string& title) {
  std::vector<cv::Mat3b> charts;
  for (std::size_t k = 0; k < p.class_names.size(); ++k) {
    LineChart chart;
    chart.title =
        fmt::format("{}: AP {}", p.class_names[k], ap_text(mean_of(p, -1, static_cast<int>(k))));
    chart.x_min = 0, chart.x_max = 1, chart.y_min = 0, chart.y_max = 1;
    chart.series = pr_series(p, static_cast<int>(k), false);
    chart.size = {300, 220};
    charts.push_back(render_line_chart(chart));
  }
  // The curve colours are the same in every small chart: say once what they mean.
  std::vector<std::pair<std::string, Rgb>> key;
  for (const auto& s : pr_series(p, -1, true)) key.emplace_back(s.name, s.color);
  return tile_charts(charts, columns > 0 ? columns : 5, title, key);
}

cv::Mat3b render_class_bars(const std::vector<std::string>& names,
                            const std::vector<double>& values, const std::string& title,
                            const std::string& value_label, bool sort) {
  if (names.size() != values.size())
    fail(ErrorKind::DataError, "{} class names but {} values", names.size(), values.size());
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  if (sort)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      bool na = std::isnan(values[a]), nb = std::isnan(values[b]);
      if (na != nb) return nb;
      return !na && values[a] > values[b];
    });
  BarChart chart;
  chart.title = title;
  chart.value_label = value_label;
  for (std::size_t i : order) chart.bars.emplace_back(names[i], values[i]);
  return render_bar_chart(chart);
}

cv::Mat3b render_confusion(const std::vector<std::string>& names, const cv::Mat1d& counts,
                           bool normalize, const std::string& title) {
  HeatMap map;
  map.title = title;
  map.row_label = "ground truth";
  map.col_label = "prediction";
  map.names = names;
  map.values = counts.clone();
  map.value_label = normalize ? "fraction of ground truth" : "pixels";
  if (normalize) map.max_value = 1.0;
  if (normalize)
    for (int i = 0; i < map.values.rows; ++i) {
      double sum = cv::sum(map.values.row(i))[0];
      if (sum > 0) map.values.row(i) /= sum;
    }
  return render_heat_map(map);
}

TrainingLog read_training_log(const std::string& path) {
  auto in = io::open_input(path);
  TrainingLog log;
  std::string line;
  std::size_t number = 0;
  while (std::getline(*in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "'{}' line {}: not JSON: {}", path, number, e.what());
    }
    if (!record.is_object() || !record.contains("iteration") || !record["iteration"].is_number())
      continue;
    double it = record["iteration"].get<double>();
    for (const auto& [key, value] : record.items()) {
      if (key != "iteration" && value.is_number())
        log.fields[key].emplace_back(it, value.get<double>());
      // segx train's validation records nest their metrics: {"eval": {"PQ": ...}} -> "eval.PQ".
      if (value.is_object())
        for (const auto& [sub, v] : value.items())
          if (v.is_number()) log.fields[key + "." + sub].emplace_back(it, v.get<double>());
    }
  }
  if (in->bad()) fail(ErrorKind::IoError, "cannot read '{}'", path);
  if (log.fields.empty())
    fail(ErrorKind::DataError, "'{}' has no records with an iteration and numeric fields", path);
  return log;
}

namespace {
// Deep supervision's per-layer copies ("loss_ce_0", "loss_dice_3", ...).
bool is_layer_copy(const std::string& name) {
  const auto underscore = name.rfind('_');
  return underscore != std::string::npos && underscore + 1 < name.size() &&
         name.find_first_not_of("0123456789", underscore + 1) == std::string::npos;
}

// The validation metrics segx train logs, in the order they are drawn.
const std::vector<std::string> kValidationFields = {"eval.PQ", "eval.PQ_th", "eval.PQ_st",
                                                    "eval.mIoU", "eval.mask_AP"};
}  // namespace

std::vector<std::string> default_training_fields(const TrainingLog& log) {
  std::vector<std::string> fields;
  if (log.fields.count("total_loss")) fields.push_back("total_loss");
  for (const auto& [name, unused] : log.fields) {
    (void)unused;
    if (name != "total_loss" && name.find("loss") != std::string::npos &&
        name.rfind("eval.", 0) != 0 && !is_layer_copy(name))
      fields.push_back(name);
  }
  return fields;
}

cv::Mat3b render_training_curves(const TrainingLog& log, const std::vector<std::string>& fields,
                                 double smoothing, bool log_scale, const std::string& title) {
  LineChart chart;
  chart.title = title;
  chart.x_label = "iteration";
  chart.y_label = fields.size() == 1 ? fields[0] : "loss";
  chart.log_y = log_scale;
  chart.size = {820, 440};
  std::vector<Series> raw, smooth;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto it = log.fields.find(fields[i]);
    if (it == log.fields.end())
      fail(ErrorKind::Usage, "the training log has no field '{}'", fields[i]);
    auto points = it->second;
    std::stable_sort(points.begin(), points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    Series r, s;
    r.color = lighten(series_color(i), 0.6);
    r.width = 1;
    s.color = series_color(i);
    s.name = fields[i];
    double ema = kNaN;
    for (const auto& [x, y] : points) {
      r.x.push_back(x), r.y.push_back(y);
      ema = std::isnan(ema) ? y : smoothing * ema + (1 - smoothing) * y;
      s.x.push_back(x), s.y.push_back(ema);
    }
    if (smoothing > 0) raw.push_back(std::move(r));
    smooth.push_back(std::move(s));
  }
  chart.series = raw;
  chart.series.insert(chart.series.end(), smooth.begin(), smooth.end());
  std::vector<cv::Mat3b> charts{render_line_chart(chart)};
  // Periodic validation (segx train's "eval" records) in percent, when the log has any.
  LineChart validation;
  validation.x_label = "iteration";
  validation.y_label = "validation (%)";
  validation.size = {820, 300};
  validation.y_min = 0;
  for (const auto& name : kValidationFields) {
    auto it = log.fields.find(name);
    if (it == log.fields.end()) continue;
    Series s;
    s.color = series_color(validation.series.size());
    s.name = name.substr(5);
    for (const auto& [x, y] : it->second)
      if (y >= 0) s.x.push_back(x), s.y.push_back(y);  // -1: not measured (no things)
    if (!s.x.empty()) validation.series.push_back(std::move(s));
  }
  if (!validation.series.empty()) charts.push_back(render_line_chart(validation));
  auto lr = log.fields.find("lr");
  if (lr == log.fields.end())
    return charts.size() == 1 ? charts[0] : stack_vertically(charts, {255, 255, 255});
  LineChart rate;
  rate.x_label = "iteration";
  rate.y_label = "learning rate";
  rate.size = {820, 220};
  rate.y_min = 0;
  Series s;
  s.color = series_color(7);
  for (const auto& [x, y] : lr->second) s.x.push_back(x), s.y.push_back(y);
  rate.series.push_back(s);
  charts.push_back(render_line_chart(rate));
  return stack_vertically(charts, {255, 255, 255});
}

}  // namespace segx::viz
