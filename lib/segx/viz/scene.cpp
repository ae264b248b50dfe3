// Category table and annotation checks for segx::viz.
#include "segx/viz/scene.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "segx/core/error.hpp"

namespace segx::viz {

CategoryTable::CategoryTable(std::vector<Category> categories)
    : categories_(std::move(categories)) {
  for (std::size_t i = 0; i < categories_.size(); ++i) index_.emplace(categories_[i].id, i);
}

const Category* CategoryTable::find(std::int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &categories_[it->second];
}

Rgb CategoryTable::color(std::int64_t id) const {
  const Category* c = find(id);
  return c && c->color ? *c->color : palette_color(id);
}

std::string CategoryTable::name(std::int64_t id) const {
  const Category* c = find(id);
  return c ? c->name : "category " + std::to_string(id);
}

void check_annotation(const Annotation& ann, const CategoryTable& categories,
                      const std::string& what) {
  std::unordered_set<std::uint32_t> known;
  for (const Segment& s : ann.segments) {
    if (!categories.find(s.category_id))
      fail(ErrorKind::DataError, "cannot draw '{}': segment {} has unknown category {}", what, s.id,
           s.category_id);
    known.insert(s.id);
  }
  for (int y = 0; y < ann.ids.rows; ++y) {
    const int* row = ann.ids[y];
    for (int x = 0; x < ann.ids.cols; ++x) {
      auto id = static_cast<std::uint32_t>(row[x]);
      if (id != 0 && !known.count(id))
        fail(ErrorKind::DataError, "cannot draw '{}': id {} at pixel ({}, {}) has no segment", what,
             id, x, y);
    }
  }
}

Annotation annotation_from_semantic(const cv::Mat1i& labels, int ignore) {
  Annotation ann;
  ann.ids = labels.clone();
  std::map<int, bool> present;
  for (int y = 0; y < labels.rows; ++y) {
    int* row = ann.ids[y];
    for (int x = 0; x < labels.cols; ++x) {
      if (row[x] == ignore) {
        row[x] = 0;
      } else {
        present[row[x]] = true;
        row[x] += 1;  // label 0 is a class in contiguous schemes, id 0 is void here
      }
    }
  }
  for (const auto& [label, unused] : present) {
    (void)unused;
    Segment s;
    s.id = static_cast<std::uint32_t>(label + 1);
    s.category_id = label;
    ann.segments.push_back(s);
  }
  return ann;
}

std::unordered_map<std::uint32_t, Rgb> segment_colors(const Annotation& ann,
                                                      const CategoryTable& categories,
                                                      bool shades) {
  std::vector<const Segment*> order;
  for (const Segment& s : ann.segments) order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](const Segment* a, const Segment* b) { return a->id < b->id; });
  std::unordered_map<std::int64_t, int> seen;
  std::unordered_map<std::uint32_t, Rgb> colors;
  for (const Segment* s : order) {
    Rgb base = categories.color(s->category_id);
    const Category* c = categories.find(s->category_id);
    bool thing = c ? c->isthing : true;
    int k = seen[s->category_id]++;
    colors[s->id] = (shades && thing) ? instance_shade(base, k) : base;
  }
  return colors;
}

}  // namespace segx::viz
