// Line, bar and heat-map charts drawn with OpenCV for segx::viz.
#include "segx/viz/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <tuple>

#include "segx/core/error.hpp"
#include "segx/viz/text.hpp"

namespace segx::viz {

namespace {

constexpr Rgb kPaper{255, 255, 255};
constexpr Rgb kInk{33, 33, 33};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kFrame{120, 120, 120};

const Font& title_font() {
  static const Font f = font_of_height(15);
  return f;
}
const Font& label_font() {
  static const Font f = font_of_height(12);
  return f;
}
const Font& tick_font() {
  static const Font f = font_of_height(11);
  return f;
}

double nice_step(double span, int target) {
  double raw = span / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return nice * mag;
}

// A value range with a little room, or the fixed bounds.
std::pair<double, double> data_range(const std::vector<Series>& series, bool x,
                                     std::optional<double> lo_fixed, std::optional<double> hi_fixed,
                                     bool positive_only) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series)
    for (double v : x ? s.x : s.y)
      if (std::isfinite(v) && (!positive_only || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = positive_only ? 1 : 0, hi = positive_only ? 10 : 1;
  if (lo_fixed) lo = *lo_fixed;
  if (hi_fixed) hi = *hi_fixed;
  if (hi <= lo) {
    double d = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= d, hi += d;
  }
  return {lo, hi};
}

void put(cv::Mat3b& canvas, const cv::Mat3b& part, cv::Point at) {
  cv::Rect r(at, part.size());
  r &= cv::Rect(0, 0, canvas.cols, canvas.rows);
  if (r.area() > 0) part(cv::Rect(r.x - at.x, r.y - at.y, r.width, r.height)).copyTo(canvas(r));
}

// One tick of a horizontal axis at column x: its grid line across the plot, its mark below the
// frame and its label centred under the mark.
void draw_x_tick(cv::Mat3b& canvas, const cv::Rect& plot, int x, int tick,
                 const std::string& label) {
  cv::line(canvas, {x, plot.y}, {x, plot.y + plot.height}, to_scalar(kGrid), 1);
  cv::line(canvas, {x, plot.y + plot.height}, {x, plot.y + plot.height + tick}, to_scalar(kFrame),
           1);
  draw_text(canvas, label,
            {x - text_extent(label, tick_font()).width / 2, plot.y + plot.height + tick + 4},
            tick_font(), kInk);
}

// Tick labels in one format: the same number of decimals for all (enough for the step), scientific
// notation for very small or large values, "k" for round thousands.
std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  std::vector<std::string> out;
  double top = 0, step = 0;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    top = std::max(top, std::abs(ticks[i]));
    if (i > 0) step = step == 0 ? ticks[i] - ticks[i - 1] : std::min(step, ticks[i] - ticks[i - 1]);
  }
  if (step <= 0) step = top > 0 ? top : 1;
  bool thousands = top >= 1e4 && top < 1e7;
  for (double t : ticks) thousands = thousands && std::abs(t / 1e3 - std::round(t / 1e3)) < 1e-9;
  for (double t : ticks) {
    if (t == 0)
      out.emplace_back("0");
    else if (thousands)
      out.push_back(fmt::format("{}k", static_cast<long long>(std::llround(t / 1e3))));
    else if (top < 1e-3 || top >= 1e7)
      out.push_back(fmt::format(
          "{:.{}e}", t, std::max(0, static_cast<int>(std::ceil(-std::log10(step / top) - 1e-9)))));
    else
      out.push_back(fmt::format(
          "{:.{}f}", t, std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)))));
  }
  return out;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  double step = nice_step(hi - lo, target);
  std::vector<double> ticks;
  // Multiples of the step computed one by one: adding the step up would accumulate rounding.
  for (auto i = static_cast<long long>(std::ceil(lo / step - 1e-9)); i * step <= hi + step * 1e-9;
       ++i)
    ticks.push_back(static_cast<double>(i) * step);
  return ticks;
}

cv::Mat3b render_line_chart(const LineChart& chart) {
  // std::tie, not structured bindings: the lambdas below capture these, which C++17 does not
  // allow for bindings (GCC accepts it; Clang, which builds the fuzz targets, refuses).
  double x0, x1, y0, y1;
  std::tie(x0, x1) = data_range(chart.series, true, chart.x_min, chart.x_max, false);
  std::tie(y0, y1) = data_range(chart.series, false, chart.y_min, chart.y_max, chart.log_y);
  std::vector<double> xt = nice_ticks(x0, x1), yt;
  auto ty = [&](double v) { return chart.log_y ? std::log10(v) : v; };
  if (chart.log_y) {
    for (int e = static_cast<int>(std::floor(std::log10(y0)));
         e <= static_cast<int>(std::ceil(std::log10(y1))); ++e)
      yt.push_back(std::pow(10.0, e));
    y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  } else {
    // Loose axes: widen a free end to the next tick so that no curve runs along the frame.
    double step = nice_step(y1 - y0, 6);
    if (!chart.y_min) y0 = std::floor(y0 / step + 1e-9) * step;
    if (!chart.y_max) y1 = std::ceil(y1 / step - 1e-9) * step;
    yt = nice_ticks(y0, y1);
  }
  std::vector<std::string> xl = tick_labels(xt), yl = tick_labels(yt);
  if (chart.log_y)
    for (std::size_t i = 0; i < yt.size(); ++i) yl[i] = format_number(yt[i]);
  const int pad = 10, tick = 5;
  int ytick_w = 0;
  for (const auto& l : yl) ytick_w = std::max(ytick_w, text_extent(l, tick_font()).width);
  const int tick_h = text_extent("0", tick_font()).height,
            label_h = text_extent("Hg", label_font()).height;
  const int title_h = chart.title.empty() ? 0 : text_extent("Hg", title_font()).height + pad;
  const int left = pad + (chart.y_label.empty() ? 0 : label_h + pad) + ytick_w + tick + 4;
  const int bottom = tick + 4 + tick_h + (chart.x_label.empty() ? 0 : pad + label_h) + pad;
  // The last x tick label is centred on the right edge: leave room for its half.
  int right = pad + text_extent(xl.back(), tick_font()).width / 2;
  // Legend beside the plot, one row per named series.
  std::vector<const Series*> named;
  int legend_w = 0;
  for (const auto& s : chart.series)
    if (!s.name.empty())
      named.push_back(&s), legend_w = std::max(legend_w, text_extent(s.name, label_font()).width);
  if (!named.empty()) legend_w += 24 + 3 * pad;
  const int top = pad + title_h + tick_h / 2;
  const int legend_h = static_cast<int>(named.size()) * (label_h + 6) + pad;
  cv::Size size(chart.size.width + legend_w, std::max(chart.size.height, top + legend_h + pad));
  cv::Mat3b canvas(size, to_bgr(kPaper));
  cv::Rect plot(left, top, chart.size.width - left - right, size.height - top - bottom);
  if (plot.width < 20 || plot.height < 20)
    fail(ErrorKind::Usage, "the chart is too small for its labels");

  auto px = [&](double v) { return plot.x + (v - x0) / (x1 - x0) * plot.width; };
  auto py = [&](double v) {
    return plot.y + plot.height - (ty(v) - ty(y0)) / (ty(y1) - ty(y0)) * plot.height;
  };
  if (!chart.title.empty()) {
    int w = text_extent(chart.title, title_font()).width;
    draw_text(canvas, fit_text(chart.title, size.width - 2 * pad, title_font()),
              {std::max(pad, plot.x + (plot.width - w) / 2), pad}, title_font(), kInk);
  }
  for (std::size_t i = 0; i < yt.size(); ++i) {
    double v = yt[i];
    if (ty(v) < ty(y0) - 1e-12 || ty(v) > ty(y1) + 1e-12) continue;
    int y = static_cast<int>(std::lround(py(v)));
    cv::line(canvas, {plot.x, y}, {plot.x + plot.width, y}, to_scalar(kGrid), 1);
    cv::line(canvas, {plot.x - tick, y}, {plot.x, y}, to_scalar(kFrame), 1);
    const std::string& s = yl[i];
    draw_text(canvas, s, {plot.x - tick - 4 - text_extent(s, tick_font()).width, y - tick_h / 2},
              tick_font(), kInk);
  }
  for (std::size_t i = 0; i < xt.size(); ++i) {
    double v = xt[i];
    if (v < x0 - 1e-12 || v > x1 + 1e-12) continue;
    draw_x_tick(canvas, plot, static_cast<int>(std::lround(px(v))), tick, xl[i]);
  }
  cv::rectangle(canvas, plot, to_scalar(kFrame), 1);
  if (!chart.x_label.empty()) {
    int w = text_extent(chart.x_label, label_font()).width;
    draw_text(canvas, chart.x_label, {plot.x + (plot.width - w) / 2, size.height - pad - label_h},
              label_font(), kInk);
  }
  if (!chart.y_label.empty()) {
    cv::Mat3b v = vertical_text(chart.y_label, label_font(), kInk, kPaper);
    put(canvas, v, {pad, plot.y + std::max(0, (plot.height - v.rows) / 2)});
  }
  // Lines, clipped to the plot area.
  cv::Mat3b area = canvas(plot);
  for (const auto& s : chart.series) {
    std::vector<cv::Point> run;
    auto flush = [&]() {
      if (run.size() >= 2)
        cv::polylines(area, run, false, to_scalar(s.color), s.width, cv::LINE_AA);
      if (s.markers || run.size() == 1)
        for (const auto& p : run)
          cv::circle(area, p, s.width + 1, to_scalar(s.color), cv::FILLED, cv::LINE_AA);
      run.clear();
    };
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i]) || (chart.log_y && s.y[i] <= 0)) {
        flush();
        continue;
      }
      run.emplace_back(static_cast<int>(std::lround(px(s.x[i]) - plot.x)),
                       static_cast<int>(std::lround(py(s.y[i]) - plot.y)));
    }
    flush();
  }
  int ly = plot.y + pad / 2;
  for (const Series* s : named) {
    int lx = chart.size.width + pad;
    cv::line(canvas, {lx, ly + label_h / 2}, {lx + 24, ly + label_h / 2}, to_scalar(s->color),
             std::max(2, s->width), cv::LINE_AA);
    draw_text(canvas, s->name, {lx + 24 + pad / 2, ly}, label_font(), kInk);
    ly += label_h + 6;
  }
  return canvas;
}

cv::Mat3b render_bar_chart(const BarChart& chart) {
  const int pad = 10, row_h = text_extent("Hg", label_font()).height + 8, tick = 5;
  int name_w = 0, value_w = 0;
  double vmax = 0;
  for (const auto& [name, v] : chart.bars) {
    name_w = std::max(name_w, text_extent(name, label_font()).width);
    value_w = std::max(value_w, text_extent(format_number(v), tick_font()).width);
    if (std::isfinite(v)) vmax = std::max(vmax, v);
  }
  name_w = std::min(name_w, chart.width / 3);
  if (chart.max_value) vmax = *chart.max_value;
  if (vmax <= 0) vmax = 1;
  std::vector<double> ticks = nice_ticks(0, vmax, 5);
  vmax = std::max(vmax, ticks.back());
  const int title_h = chart.title.empty() ? 0 : text_extent("Hg", title_font()).height + pad;
  const int tick_h = text_extent("0", tick_font()).height,
            label_h = text_extent("Hg", label_font()).height;
  const int left = pad + name_w + pad;
  const int right =
      pad + std::max(value_w + 4, text_extent(format_number(ticks.back()), tick_font()).width / 2);
  const int top = pad + title_h;
  const int n = static_cast<int>(chart.bars.size());
  cv::Rect plot(left, top, std::max(50, chart.width - left - right), std::max(1, n) * row_h);
  int height = plot.y + plot.height + tick + 4 + tick_h +
               (chart.value_label.empty() ? 0 : pad + label_h) + pad;
  cv::Mat3b canvas(height, chart.width, to_bgr(kPaper));
  if (!chart.title.empty())
    draw_text(canvas, fit_text(chart.title, chart.width - 2 * pad, title_font()), {pad, pad},
              title_font(), kInk);
  auto px = [&](double v) {
    return plot.x + static_cast<int>(std::lround(std::clamp(v / vmax, 0.0, 1.0) * plot.width));
  };
  std::vector<std::string> labels = tick_labels(ticks);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    draw_x_tick(canvas, plot, px(ticks[i]), tick, labels[i]);
  }
  for (int i = 0; i < n; ++i) {
    const auto& [name, v] = chart.bars[i];
    int y = plot.y + i * row_h;
    std::string shown = fit_text(name, name_w, label_font());
    draw_text(canvas, shown, {left - pad - text_extent(shown, label_font()).width, y + 4},
              label_font(), kInk);
    if (std::isfinite(v) && v > 0)
      cv::rectangle(canvas, cv::Rect(plot.x, y + 2, std::max(1, px(v) - plot.x), row_h - 4),
                    to_scalar(chart.color), cv::FILLED);
    std::string s = std::isfinite(v) ? format_number(v) : "n/a";
    draw_text(canvas, s, {px(std::isfinite(v) ? v : 0) + 4, y + (row_h - tick_h) / 2}, tick_font(),
              kInk);
  }
  cv::line(canvas, {plot.x, plot.y}, {plot.x, plot.y + plot.height}, to_scalar(kFrame), 1);
  if (!chart.value_label.empty()) {
    int w = text_extent(chart.value_label, label_font()).width;
    draw_text(canvas, chart.value_label, {plot.x + (plot.width - w) / 2, height - pad - label_h},
              label_font(), kInk);
  }
  return canvas;
}

cv::Mat3b render_heat_map(const HeatMap& map) {
  const int n = static_cast<int>(map.names.size());
  if (map.values.rows != n || map.values.cols != n)
    fail(ErrorKind::DataError, "a heat map needs a {}x{} matrix, got {}x{}", n, n, map.values.rows,
         map.values.cols);
  const int pad = 10, cell = std::clamp(720 / std::max(1, n), 3, 48);
  // Class names only where a row is tall enough to read them.
  const bool names = cell >= 8;
  const Font name_font = font_of_height(std::clamp(cell - 5, 6, 12));
  int name_w = 0;
  if (names)
    for (const auto& s : map.names)
      name_w = std::min(160, std::max(name_w, text_extent(s, name_font).width));
  double vmax = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (std::isfinite(map.values(i, j))) vmax = std::max(vmax, map.values(i, j));
  if (map.max_value) vmax = *map.max_value;
  if (vmax <= 0) vmax = 1;
  const int label_h = text_extent("Hg", label_font()).height;
  const int title_h = map.title.empty() ? 0 : text_extent("Hg", title_font()).height + pad;
  std::vector<double> ticks = nice_ticks(0, vmax, 5);
  std::vector<std::string> tick_text = tick_labels(ticks);
  int tick_w = 0;
  for (const auto& t : tick_text) tick_w = std::max(tick_w, text_extent(t, tick_font()).width);
  const int bar_w = 16;
  const int left = pad + label_h + pad + name_w + 4;
  const int top = pad + title_h;
  cv::Rect grid(left, top, n * cell, n * cell);
  const int bottom = 4 + name_w + pad + label_h + pad;
  const int right = pad * 2 + bar_w + 4 + tick_w + pad;
  int width =
      std::max(grid.x + grid.width + right, pad + text_extent(map.title, title_font()).width + pad);
  int height = grid.y + grid.height + bottom;
  height = std::max(height, grid.y + 160 + bottom);
  cv::Mat3b canvas(height, width, to_bgr(kPaper));
  if (!map.title.empty()) draw_text(canvas, map.title, {pad, pad}, title_font(), kInk);
  const bool numbers = cell >= 30;
  const Font number_font = font_of_height(std::clamp(cell / 4, 7, 11));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double v = map.values(i, j);
      cv::Rect r(grid.x + j * cell, grid.y + i * cell, cell, cell);
      Rgb c = std::isfinite(v) ? viridis(v / vmax) : Rgb{200, 200, 200};
      cv::rectangle(canvas, r, to_scalar(c), cv::FILLED);
      if (numbers && std::isfinite(v)) {
        std::string s = format_number(v, 2);
        cv::Size e = text_extent(s, number_font);
        if (e.width <= cell - 2)
          draw_text(canvas, s, {r.x + (cell - e.width) / 2, r.y + (cell - e.height) / 2},
                    number_font, contrast_text(c));
      }
    }
  cv::rectangle(canvas, grid, to_scalar(kFrame), 1);
  if (names)
    for (int i = 0; i < n; ++i) {
      std::string s = fit_text(map.names[i], name_w, name_font);
      cv::Size e = text_extent(s, name_font);
      draw_text(canvas, s, {grid.x - 4 - e.width, grid.y + i * cell + (cell - e.height) / 2},
                name_font, kInk);
      cv::Mat3b v = vertical_text(s, name_font, kInk, kPaper);
      put(canvas, v,
          {grid.x + i * cell + (cell - v.cols) / 2, grid.y + grid.height + 4 + name_w - v.rows});
    }
  if (!map.row_label.empty()) {
    cv::Mat3b v = vertical_text(map.row_label, label_font(), kInk, kPaper);
    put(canvas, v, {pad, grid.y + std::max(0, (grid.height - v.rows) / 2)});
  }
  if (!map.col_label.empty()) {
    int w = text_extent(map.col_label, label_font()).width;
    draw_text(canvas, map.col_label,
              {grid.x + std::max(0, (grid.width - w) / 2), grid.y + grid.height + 4 + name_w + pad},
              label_font(), kInk);
  }
  // Colour bar.
  cv::Rect bar(grid.x + grid.width + 2 * pad, grid.y, bar_w, std::max(160, grid.height));
  for (int y = 0; y < bar.height; ++y)
    cv::line(canvas, {bar.x, bar.y + y}, {bar.x + bar.width - 1, bar.y + y},
             to_scalar(viridis(1.0 - static_cast<double>(y) / std::max(1, bar.height - 1))), 1);
  cv::rectangle(canvas, bar, to_scalar(kFrame), 1);
  const int tick_h = text_extent("0", tick_font()).height;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    int y =
        bar.y + bar.height - 1 - static_cast<int>(std::lround(ticks[i] / vmax * (bar.height - 1)));
    cv::line(canvas, {bar.x + bar.width, y}, {bar.x + bar.width + 4, y}, to_scalar(kFrame), 1);
    draw_text(canvas, tick_text[i],
              {bar.x + bar.width + 6, std::clamp(y - tick_h / 2, 0, height - tick_h)}, tick_font(),
              kInk);
  }
  return canvas;
}

cv::Mat3b tile_charts(const std::vector<cv::Mat3b>& charts, int columns, const std::string& title,
                      const std::vector<std::pair<std::string, Rgb>>& key) {
  if (charts.empty()) return {};
  columns = std::max(1, std::min<int>(columns, static_cast<int>(charts.size())));
  int cw = 0, ch = 0;
  for (const auto& c : charts) cw = std::max(cw, c.cols), ch = std::max(ch, c.rows);
  int rows = static_cast<int>((charts.size() + columns - 1) / columns);
  const int pad = 10, label_h = text_extent("Hg", label_font()).height;
  const int title_h = title.empty() ? 0 : text_extent("Hg", title_font()).height + 2 * pad;
  // The key flows in rows under the title, wrapped to the page width.
  std::vector<cv::Point> at;
  int x = pad, y = title_h + (title.empty() ? pad : 0), page_w = columns * cw;
  for (const auto& [name, color] : key) {
    (void)color;
    int w = 24 + pad / 2 + text_extent(name, label_font()).width;
    if (x > pad && x + w > page_w - pad) x = pad, y += label_h + 6;
    at.emplace_back(x, y);
    x += w + 2 * pad;
  }
  const int key_h = key.empty() ? 0 : y + label_h + pad - title_h;
  cv::Mat3b page(title_h + key_h + rows * ch, page_w, to_bgr(kPaper));
  if (!title.empty())
    draw_text(page, fit_text(title, page.cols - 2 * pad, title_font()), {pad, pad}, title_font(),
              kInk);
  for (std::size_t i = 0; i < key.size(); ++i) {
    cv::line(page, {at[i].x, at[i].y + label_h / 2}, {at[i].x + 24, at[i].y + label_h / 2},
             to_scalar(key[i].second), 2, cv::LINE_AA);
    draw_text(page, fit_text(key[i].first, page_w - at[i].x - 24 - pad, label_font()),
              {at[i].x + 24 + pad / 2, at[i].y}, label_font(), kInk);
  }
  for (std::size_t i = 0; i < charts.size(); ++i)
    put(page, charts[i],
        {static_cast<int>(i % columns) * cw, title_h + key_h + static_cast<int>(i / columns) * ch});
  return page;
}

}  // namespace segx::viz
