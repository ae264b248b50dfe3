// What a picture shows, in memory: categories (name, thing/stuff, the dataset's colour if any) and
// an annotation as a panoptic id map (0 = void) with its segments. Semantic label maps and instance
// masks are brought into this one shape, so that every view draws them the same way.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "segx/viz/color.hpp"

namespace segx::viz {

struct Category {
  std::int64_t id = 0;
  std::string name;
  bool isthing = true;
  std::optional<Rgb> color;  // the dataset's colour; the palette decides where absent
};

class CategoryTable {
 public:
  CategoryTable() = default;
  explicit CategoryTable(std::vector<Category> categories);

  const Category* find(std::int64_t id) const;
  // The colour pictures use for a category: the dataset's, else palette_color(id).
  Rgb color(std::int64_t id) const;
  std::string name(std::int64_t id) const;
  const std::vector<Category>& all() const { return categories_; }

 private:
  std::vector<Category> categories_;
  std::unordered_map<std::int64_t, std::size_t> index_;
};

struct Segment {
  std::uint32_t id = 0;  // value in the id map
  std::int64_t category_id = 0;
  bool iscrowd = false;
  std::optional<double> score;  // predictions only
};

struct Annotation {
  cv::Mat1i ids;  // one segment id per pixel, 0 = void / unlabeled
  std::vector<Segment> segments;
};

// Checks that every segment's category is known and every id in the map has a segment; `what`
// names the source (file) in the error, e.g. "cannot draw 'a.png': segment 7 has unknown category
// 99".
void check_annotation(const Annotation& ann, const CategoryTable& categories,
                      const std::string& what);

// A semantic label map (one category id per pixel) as an annotation: one segment per category
// present with id = label + 1, `ignore` pixels (e.g. 255, or 0 for raw ids) become void.
Annotation annotation_from_semantic(const cv::Mat1i& labels, int ignore);

// Colour of every segment as drawn: the category colour, with instance shades for things when
// `shades` is set (instances numbered in the order of their ids within each category).
std::unordered_map<std::uint32_t, Rgb> segment_colors(const Annotation& ann,
                                                      const CategoryTable& categories, bool shades);

}  // namespace segx::viz
