// Overlays of an annotation or prediction on its image: segments filled with their category colour
// blended at alpha (instance shades for things, hatching for crowds), outlines, labels with class
// name (and score) placed inside each segment without overlapping, and a legend below the picture.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "segx/viz/scene.hpp"
#include "segx/viz/text.hpp"

namespace segx::viz {

struct OverlayStyle {
  double alpha = 0.55;  // weight of the segment colour
  int outline = 0;      // outline width in pixels; 0 = by image size, -1 = none
  bool labels = true;   // class names on segments
  bool scores = true;   // "person 0.93" where a segment has a score
  bool legend = true;   // legend strip of the categories shown
  bool shades = true;   // instance shades for things
  int min_side = 512;   // smaller pictures are enlarged by an integer factor for legible labels
  std::string title;    // a title strip above the picture when not empty
};

// How one segment is drawn by draw_segments.
struct SegmentLook {
  Rgb color;
  std::string label;        // empty: no label
  bool hatched = false;     // crowd regions: stripes of full colour
  std::optional<Rgb> edge;  // outline colour; the fill colour where absent
};

// The integer factor draw functions enlarge a picture of `size` by to reach `min_side` on its
// longer side (1 when it is large enough or min_side <= 0).
int upscale_factor(cv::Size size, int min_side);

// Label font for a picture of this size (cap height ~1/45 of its geometric mean side, 10..20 px).
Font label_font(cv::Size size);

// Outline width for a picture of this size when OverlayStyle::outline is 0.
int auto_outline(cv::Size size);

// Checks that the image and the id map have the same size; `what` names the source in the error.
void check_same_size(const cv::Mat& image, const cv::Mat& ids, const std::string& what);

// Image and id map enlarged by `factor` (bilinear for the image, nearest for ids).
void enlarge(const cv::Mat3b& image, const cv::Mat1i& ids, int factor, cv::Mat3b& image_out,
             cv::Mat1i& ids_out);

// The core drawing: fills, outlines and labels; ids missing from `looks` are left as they are.
cv::Mat3b draw_segments(const cv::Mat3b& image, const cv::Mat1i& ids,
                        const std::unordered_map<std::uint32_t, SegmentLook>& looks, double alpha,
                        int outline, bool labels);

// The label a segment gets: class name, "(crowd)", score with two decimals.
std::string segment_label(const Segment& s, const CategoryTable& categories, bool scores);

// Looks of an annotation's segments under a style.
std::unordered_map<std::uint32_t, SegmentLook> segment_looks(const Annotation& ann,
                                                             const CategoryTable& categories,
                                                             const OverlayStyle& style);

// Legend entries for the categories that appear in the annotations, ordered by category id.
std::vector<struct LegendEntry> category_legend(const std::vector<const Annotation*>& anns,
                                                const CategoryTable& categories);

// A complete overlay: checks sizes and categories (errors name `what`), enlarges small pictures,
// draws segments, then title and legend strips.
cv::Mat3b render_overlay(const cv::Mat3b& image, const Annotation& ann,
                         const CategoryTable& categories, const OverlayStyle& style,
                         const std::string& what = "image");

}  // namespace segx::viz
