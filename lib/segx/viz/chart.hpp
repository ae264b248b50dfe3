// A small chart renderer on OpenCV: line charts (axes with round ticks, grid, legend beside the
// plot), horizontal bar charts and heat maps with a colour bar. Margins are measured from the text
// they hold, so tick labels, axis titles and legends are never cut off.
#pragma once
#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "segx/viz/color.hpp"

namespace segx::viz {

struct Series {
  std::string name;          // empty: not in the legend
  std::vector<double> x, y;  // NaN y values break the line
  Rgb color;
  int width = 2;
  bool markers = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> x_min, x_max, y_min, y_max;  // fixed axis ranges; data ranges where absent
  bool log_y = false;
  cv::Size size{800, 480};  // the plot with its axes; the legend adds to the width
};

struct BarChart {
  std::string title, value_label;
  std::vector<std::pair<std::string, double>> bars;  // drawn in the given order, top to bottom
  std::optional<double> max_value;
  Rgb color{31, 119, 180};
  int width = 800;
};

struct HeatMap {
  std::string title, row_label, col_label;  // e.g. "ground truth", "prediction"
  std::vector<std::string> names;
  cv::Mat1d values;                 // names.size() x names.size()
  std::string value_label;          // colour bar title
  std::optional<double> max_value;  // top of the colour scale; the largest value where absent
};

// Round tick values covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

cv::Mat3b render_line_chart(const LineChart& chart);
cv::Mat3b render_bar_chart(const BarChart& chart);
cv::Mat3b render_heat_map(const HeatMap& map);

// Charts placed in a grid on a white page (small multiples), under a title and a key that says
// once what each line colour means.
cv::Mat3b tile_charts(const std::vector<cv::Mat3b>& charts, int columns, const std::string& title,
                      const std::vector<std::pair<std::string, Rgb>>& key = {});

}  // namespace segx::viz
