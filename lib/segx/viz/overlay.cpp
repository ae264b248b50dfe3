// Segment fills, outlines, label placement and the overlay picture of segx::viz.
#include "segx/viz/overlay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>

#include "segx/core/error.hpp"
#include "segx/viz/legend.hpp"

namespace segx::viz {

namespace {

struct Extent {
  cv::Rect box;
  long long area = 0;
};

std::unordered_map<std::uint32_t, Extent> extents(const cv::Mat1i& ids) {
  std::unordered_map<std::uint32_t, std::array<int, 4>> b;  // x0, y0, x1, y1
  std::unordered_map<std::uint32_t, long long> area;
  for (int y = 0; y < ids.rows; ++y) {
    const int* row = ids[y];
    for (int x = 0; x < ids.cols; ++x) {
      auto id = static_cast<std::uint32_t>(row[x]);
      if (id == 0) continue;
      auto [it, fresh] = b.try_emplace(id, std::array<int, 4>{x, y, x, y});
      if (!fresh) {
        auto& r = it->second;
        r[0] = std::min(r[0], x), r[1] = std::min(r[1], y), r[2] = std::max(r[2], x),
        r[3] = std::max(r[3], y);
      }
      ++area[id];
    }
  }
  std::unordered_map<std::uint32_t, Extent> out;
  for (const auto& [id, r] : b)
    out[id] = {cv::Rect(r[0], r[1], r[2] - r[0] + 1, r[3] - r[1] + 1), area[id]};
  return out;
}

// Pixels where the id changes to a neighbour (right or below), marked on both sides.
cv::Mat1b boundaries(const cv::Mat1i& ids) {
  cv::Mat1b edge(ids.size(), 0);
  for (int y = 0; y < ids.rows; ++y) {
    const int* row = ids[y];
    const int* below = y + 1 < ids.rows ? ids[y + 1] : nullptr;
    for (int x = 0; x < ids.cols; ++x) {
      if (x + 1 < ids.cols && row[x] != row[x + 1]) edge(y, x) = edge(y, x + 1) = 255;
      if (below && row[x] != below[x]) edge(y, x) = edge(y + 1, x) = 255;
    }
  }
  return edge;
}

// Candidate label centres inside a segment: its most interior point first, then points around it.
std::vector<cv::Point> label_anchors(const cv::Mat1i& ids, std::uint32_t id, const cv::Rect& box,
                                     cv::Size label) {
  cv::Rect padded(box.x - 1, box.y - 1, box.width + 2, box.height + 2);
  cv::Mat1b mask(padded.size(), 0);
  for (int y = box.y; y < box.y + box.height; ++y)
    for (int x = box.x; x < box.x + box.width; ++x)
      if (static_cast<std::uint32_t>(ids(y, x)) == id) mask(y - padded.y, x - padded.x) = 255;
  cv::Mat1f dist;
  cv::distanceTransform(mask, dist, cv::DIST_L2, 3);
  // Of the most interior points (within 80% of the deepest), the one nearest the segment's centre
  // of mass: a label in the middle of a long segment rather than at its end.
  double deepest = 0;
  cv::minMaxLoc(dist, nullptr, &deepest);
  cv::Moments m = cv::moments(mask, true);
  cv::Point2d mass = m.m00 > 0 ? cv::Point2d(m.m10 / m.m00, m.m01 / m.m00) : cv::Point2d(0, 0);
  cv::Point best;
  double best_d = -1;
  for (int y = 0; y < dist.rows; ++y)
    for (int x = 0; x < dist.cols; ++x) {
      if (dist(y, x) < 0.8 * deepest) continue;
      double d = (x - mass.x) * (x - mass.x) + (y - mass.y) * (y - mass.y);
      if (best_d < 0 || d < best_d) best_d = d, best = {x, y};
    }
  cv::Point centre(best.x + padded.x, best.y + padded.y);
  std::vector<cv::Point> out = {centre};
  for (int dy : {-1, 1, -2, 2})
    for (int dx : {0, -1, 1}) {
      cv::Point p(centre.x + dx * label.width / 2, centre.y + dy * label.height);
      cv::Point local(p.x - padded.x, p.y - padded.y);
      if (local.x >= 0 && local.y >= 0 && local.x < mask.cols && local.y < mask.rows &&
          mask(local) > 0)
        out.push_back(p);
    }
  return out;
}

}  // namespace

int upscale_factor(cv::Size size, int min_side) {
  int longer = std::max(size.width, size.height);
  if (min_side <= 0 || longer <= 0 || longer >= min_side) return 1;
  return (min_side + longer - 1) / longer;
}

Font label_font(cv::Size size) {
  double mean_side = std::sqrt(static_cast<double>(size.width) * size.height);
  return font_of_height(std::clamp(static_cast<int>(std::lround(mean_side / 45.0)), 10, 20));
}

int auto_outline(cv::Size size) {
  return std::max(1, static_cast<int>(std::max(size.width, size.height) / 700));
}

void check_same_size(const cv::Mat& image, const cv::Mat& ids, const std::string& what) {
  if (image.size() != ids.size())
    fail(ErrorKind::DataError, "cannot draw '{}': the image is {}x{} but its annotation is {}x{}",
         what, image.cols, image.rows, ids.cols, ids.rows);
}

void enlarge(const cv::Mat3b& image, const cv::Mat1i& ids, int factor, cv::Mat3b& image_out,
             cv::Mat1i& ids_out) {
  if (factor <= 1) {
    image_out = image.clone();
    ids_out = ids;
    return;
  }
  cv::Size size(image.cols * factor, image.rows * factor);
  cv::resize(image, image_out, size, 0, 0, cv::INTER_LINEAR);
  cv::Mat resized;
  cv::resize(ids, resized, size, 0, 0, cv::INTER_NEAREST);
  ids_out = resized;
}

cv::Mat3b draw_segments(const cv::Mat3b& image, const cv::Mat1i& ids,
                        const std::unordered_map<std::uint32_t, SegmentLook>& looks, double alpha,
                        int outline, bool labels) {
  cv::Mat3b canvas = image.clone();
  // Fill: one lookup per run of equal ids keeps this a single pass over the pixels.
  for (int y = 0; y < ids.rows; ++y) {
    const int* row = ids[y];
    cv::Vec3b* out = canvas[y];
    std::uint32_t last = 0;
    const SegmentLook* look = nullptr;
    for (int x = 0; x < ids.cols; ++x) {
      auto id = static_cast<std::uint32_t>(row[x]);
      if (id == 0) continue;
      if (id != last || !look) {
        auto it = looks.find(id);
        look = it == looks.end() ? nullptr : &it->second;
        last = id;
      }
      if (!look) continue;
      double a = look->hatched && hatch_at(x, y) ? std::max(alpha, 0.85) : alpha;
      out[x] = blend(out[x], look->color, a);
    }
  }
  if (outline > 0) {
    cv::Mat1b edge = boundaries(ids);
    if (outline > 1)
      cv::dilate(edge, edge,
                 cv::getStructuringElement(cv::MORPH_RECT, {2 * outline - 1, 2 * outline - 1}));
    for (int y = 0; y < ids.rows; ++y)
      for (int x = 0; x < ids.cols; ++x) {
        if (!edge(y, x)) continue;
        auto it = looks.find(static_cast<std::uint32_t>(ids(y, x)));
        if (it != looks.end()) canvas(y, x) = to_bgr(it->second.edge.value_or(it->second.color));
      }
  }
  if (!labels) return canvas;

  const Font font = label_font(ids.size());
  const int pad = std::max(2, text_extent("H", font).height / 4);
  const long long min_area = std::max<long long>(48, static_cast<long long>(ids.total()) / 2500);
  auto ext = extents(ids);
  std::vector<std::pair<std::uint32_t, Extent>> order;
  for (const auto& [id, e] : ext) {
    auto it = looks.find(id);
    if (it != looks.end() && !it->second.label.empty() && e.area >= min_area)
      order.emplace_back(id, e);
  }
  // Small segments first: they have few places for a label, large ones can move aside.
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second.area != b.second.area ? a.second.area < b.second.area : a.first < b.first;
  });
  std::vector<cv::Rect> taken;
  const cv::Rect frame(0, 0, canvas.cols, canvas.rows);
  for (const auto& [id, e] : order) {
    const SegmentLook& look = looks.at(id);
    std::string text = fit_text(look.label, canvas.cols - 2 * pad, font);
    cv::Size size = text_box_extent(text, font, pad);
    // A label as large as its segment would hide it: put it beside the segment instead.
    const bool beside = static_cast<long long>(size.area()) >= e.area;
    std::vector<cv::Point> anchors;
    if (beside) {
      const cv::Point mid(e.box.x + e.box.width / 2, e.box.y + e.box.height / 2);
      const int gap = 2;
      anchors = {{mid.x, e.box.y - gap - size.height / 2},
                 {mid.x, e.box.y + e.box.height + gap + size.height / 2},
                 {e.box.x + e.box.width + gap + size.width / 2, mid.y},
                 {e.box.x - gap - size.width / 2, mid.y}};
    } else {
      anchors = label_anchors(ids, id, e.box, size);
    }
    for (cv::Point c : anchors) {
      cv::Rect r(c.x - size.width / 2, c.y - size.height / 2, size.width, size.height);
      r.x = std::clamp(r.x, 0, std::max(0, frame.width - r.width));
      r.y = std::clamp(r.y, 0, std::max(0, frame.height - r.height));
      bool free = std::none_of(taken.begin(), taken.end(),
                               [&](const cv::Rect& t) { return (t & r).area() > 0; });
      if (!free) continue;
      Rgb box = lighten(look.color, -0.45);
      draw_text_box(canvas, text, r.tl(), font, contrast_text(box), box, pad);
      taken.push_back(r);
      break;
    }
  }
  return canvas;
}

std::string segment_label(const Segment& s, const CategoryTable& categories, bool scores) {
  std::string label = categories.name(s.category_id);
  if (s.iscrowd) label += " (crowd)";
  if (scores && s.score) label += fmt::format(" {:.2f}", *s.score);
  return label;
}

std::unordered_map<std::uint32_t, SegmentLook> segment_looks(const Annotation& ann,
                                                             const CategoryTable& categories,
                                                             const OverlayStyle& style) {
  auto colors = segment_colors(ann, categories, style.shades);
  std::unordered_map<std::uint32_t, SegmentLook> looks;
  for (const Segment& s : ann.segments)
    looks[s.id] = {colors.at(s.id),
                   style.labels ? segment_label(s, categories, style.scores) : "",
                   s.iscrowd,
                   {}};
  return looks;
}

std::vector<LegendEntry> category_legend(const std::vector<const Annotation*>& anns,
                                         const CategoryTable& categories) {
  std::map<std::int64_t, bool> shown;  // category -> any crowd only
  for (const Annotation* a : anns)
    for (const Segment& s : a->segments) shown.emplace(s.category_id, true);
  std::vector<LegendEntry> entries;
  for (const auto& [id, unused] : shown) {
    (void)unused;
    entries.push_back({categories.color(id), categories.name(id), false});
  }
  return entries;
}

cv::Mat3b render_overlay(const cv::Mat3b& image, const Annotation& ann,
                         const CategoryTable& categories, const OverlayStyle& style,
                         const std::string& what) {
  check_same_size(image, ann.ids, what);
  check_annotation(ann, categories, what);
  cv::Mat3b big;
  cv::Mat1i ids;
  enlarge(image, ann.ids, upscale_factor(image.size(), style.min_side), big, ids);
  int outline = style.outline == 0 ? auto_outline(big.size()) : style.outline;
  cv::Mat3b picture = draw_segments(big, ids, segment_looks(ann, categories, style), style.alpha,
                                    outline, style.labels);
  std::vector<cv::Mat3b> parts;
  const Font font = label_font(big.size());
  if (!style.title.empty()) parts.push_back(render_title(style.title, picture.cols, font));
  parts.push_back(picture);
  if (style.legend)
    parts.push_back(render_legend(category_legend({&ann}, categories), picture.cols, font));
  return stack_vertically(parts, kPanelBackground);
}

}  // namespace segx::viz
