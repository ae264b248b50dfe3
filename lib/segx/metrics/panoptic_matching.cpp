// PQ matching of one image with panopticapi's rules, and the counts PQ takes from it.
#include "segx/metrics/panoptic_matching.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "segx/core/error.hpp"

namespace segx::metrics {

namespace {

using SegmentIndex = std::unordered_map<std::uint32_t, const PanopticSegment*>;

SegmentIndex index_segments(const std::vector<PanopticSegment>& segments, const std::string& json,
                            const std::string& what, const std::string& image_id) {
  SegmentIndex index;
  for (const auto& s : segments)
    if (!index.emplace(s.id, &s).second)
      fail(ErrorKind::DataError, "'{}': image {} lists {} segment id {} twice", json, image_id,
           what, s.id);
  return index;
}

// Pixel count per id on one side of the overlap.
std::unordered_map<std::uint32_t, std::uint64_t> areas(const PanopticOverlap& overlap, bool gt) {
  std::unordered_map<std::uint32_t, std::uint64_t> area;
  for (const auto& [key, n] : overlap.pairs())
    area[gt ? PanopticOverlap::gt_of(key) : PanopticOverlap::pred_of(key)] += n;
  return area;
}

std::string sorted_ids(std::vector<std::uint32_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::string text;
  for (auto id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
  return text;
}

// panopticapi's prediction sanity checks: PNG ids and JSON ids agree, categories are known.
// Returns the predicted areas as counted in the PNG.
std::unordered_map<std::uint32_t, std::uint64_t> check_prediction(
    const SegmentIndex& pred, const PanopticOverlap& overlap, const PanopticCategories& categories,
    const PanopticImageContext& ctx) {
  auto pred_area = areas(overlap, false);
  std::vector<std::uint32_t> missing_in_json;
  for (const auto& [id, n] : pred_area) {
    auto it = pred.find(id);
    if (it == pred.end()) {
      if (id != kPanopticVoid) missing_in_json.push_back(id);
      continue;
    }
    if (!categories.contains(it->second->category_id))
      fail(ErrorKind::DataError, "'{}': image {} segment {} has unknown category_id {}",
           ctx.pred_json, ctx.image_id, id, it->second->category_id);
  }
  if (!missing_in_json.empty())
    fail(ErrorKind::DataError, "'{}' (image {}): segment ids {} are in the PNG but not in '{}'",
         ctx.pred_source, ctx.image_id, sorted_ids(missing_in_json), ctx.pred_json);
  std::vector<std::uint32_t> missing_in_png;
  for (const auto& [id, seg] : pred)
    if (!pred_area.count(id)) missing_in_png.push_back(id);
  if (!missing_in_png.empty())
    fail(ErrorKind::DataError, "'{}' (image {}): segment ids {} are in the JSON but not in '{}'",
         ctx.pred_json, ctx.image_id, sorted_ids(missing_in_png), ctx.pred_source);
  return pred_area;
}

// The GT checks panopticapi leaves out; a disagreement there would silently change the counts.
void check_ground_truth(const SegmentIndex& gt, const PanopticOverlap& overlap,
                        const PanopticCategories& categories, const PanopticImageContext& ctx) {
  auto gt_area = areas(overlap, true);
  std::vector<std::uint32_t> missing_in_json, missing_in_png;
  for (const auto& [id, n] : gt_area)
    if (id != kPanopticVoid && !gt.count(id)) missing_in_json.push_back(id);
  if (!missing_in_json.empty())
    fail(ErrorKind::DataError,
         "'{}' (image {}): ground-truth segment ids {} are in the PNG but not in the JSON",
         ctx.gt_source, ctx.image_id, sorted_ids(missing_in_json));
  for (const auto& [id, seg] : gt) {
    if (!gt_area.count(id)) missing_in_png.push_back(id);
    if (!categories.contains(seg->category_id))
      fail(ErrorKind::DataError,
           "'{}' (image {}): ground-truth segment {} has unknown category_id {}", ctx.gt_source,
           ctx.image_id, id, seg->category_id);
  }
  if (!missing_in_png.empty())
    fail(ErrorKind::DataError,
         "'{}' (image {}): ground-truth segment ids {} are in the JSON but not in the PNG",
         ctx.gt_source, ctx.image_id, sorted_ids(missing_in_png));
}

}  // namespace

PanopticMatching match_panoptic_image(const std::vector<PanopticSegment>& gt,
                                      const std::vector<PanopticSegment>& pred,
                                      const PanopticOverlap& overlap,
                                      const PanopticCategories& categories,
                                      const PanopticImageContext& ctx) {
  const SegmentIndex gt_segms = index_segments(gt, ctx.gt_source, "ground-truth", ctx.image_id);
  const SegmentIndex pred_segms = index_segments(pred, ctx.pred_json, "predicted", ctx.image_id);
  check_ground_truth(gt_segms, overlap, categories, ctx);
  const auto pred_area = check_prediction(pred_segms, overlap, categories, ctx);

  // Matches by segment id: {partner, IoU}. An IoU above 0.5 makes a match unique on both sides.
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, double>> gt_matched, pred_matched;
  for (const auto& [key, intersection] : overlap.pairs()) {
    auto g = gt_segms.find(PanopticOverlap::gt_of(key));
    auto p = pred_segms.find(PanopticOverlap::pred_of(key));
    if (g == gt_segms.end() || p == pred_segms.end()) continue;
    if (g->second->iscrowd) continue;
    if (g->second->category_id != p->second->category_id) continue;
    // union = pred + gt - intersection - (pred pixels on VOID), areas as integers like Python's.
    const std::int64_t union_area = std::int64_t(pred_area.at(p->first)) + g->second->area -
                                    std::int64_t(intersection) -
                                    std::int64_t(overlap.get(kPanopticVoid, p->first));
    if (union_area < std::int64_t(intersection))  // only when the JSON area is below the PNG's
      fail(ErrorKind::DataError,
           "'{}' (image {}): ground-truth segment {} has area {} in the JSON, fewer than its {} "
           "pixels overlapping prediction {}",
           ctx.gt_source, ctx.image_id, g->first, g->second->area, intersection, p->first);
    const double iou = double(intersection) / double(union_area);
    if (iou > 0.5) {
      gt_matched[g->first] = {p->first, iou};
      pred_matched[p->first] = {g->first, iou};
    }
  }

  PanopticMatching m;
  // False negatives; crowd segments are ignored and remembered per category. As in panopticapi,
  // the last crowd segment of a category in JSON order is the one that excuses predictions.
  std::unordered_map<std::int64_t, std::uint32_t> crowd_by_category;
  for (const auto& seg : gt) {
    SegmentOutcome o{seg.id, seg.category_id, MatchStatus::FalseNegative, 0, 0.0};
    auto it = gt_matched.find(seg.id);
    if (it != gt_matched.end()) {
      o.status = MatchStatus::TruePositive;
      o.partner = it->second.first;
      o.iou = it->second.second;
    } else if (seg.iscrowd) {
      o.status = MatchStatus::Crowd;
      crowd_by_category[seg.category_id] = seg.id;
    }
    m.gt.push_back(o);
  }

  // False positives, unless more than half of the prediction lies on VOID or same-class crowd.
  for (const auto& seg : pred) {
    SegmentOutcome o{seg.id, seg.category_id, MatchStatus::FalsePositive, 0, 0.0};
    auto it = pred_matched.find(seg.id);
    if (it != pred_matched.end()) {
      o.status = MatchStatus::TruePositive;
      o.partner = it->second.first;
      o.iou = it->second.second;
    } else {
      std::uint64_t ignored = overlap.get(kPanopticVoid, seg.id);
      auto crowd = crowd_by_category.find(seg.category_id);
      if (crowd != crowd_by_category.end()) ignored += overlap.get(crowd->second, seg.id);
      if (double(ignored) / double(pred_area.at(seg.id)) > 0.5) o.status = MatchStatus::Ignored;
    }
    m.pred.push_back(o);
  }
  return m;
}

PqStats count_matching(const PanopticMatching& m) {
  PqStats stats;
  // Each match is counted once, from the GT side; its IoU joins the exact per-class sum.
  for (const auto& o : m.gt) {
    if (o.status == MatchStatus::TruePositive) {
      auto& s = stats[o.category_id];
      s.tp += 1;
      s.iou.add(o.iou);
    } else if (o.status == MatchStatus::FalseNegative) {
      stats[o.category_id].fn += 1;
    }
  }
  for (const auto& o : m.pred)
    if (o.status == MatchStatus::FalsePositive) stats[o.category_id].fp += 1;
  return stats;
}

PqStats evaluate_panoptic_image(const std::vector<PanopticSegment>& gt,
                                const std::vector<PanopticSegment>& pred,
                                const PanopticOverlap& overlap,
                                const PanopticCategories& categories,
                                const PanopticImageContext& context) {
  return count_matching(match_panoptic_image(gt, pred, overlap, categories, context));
}

const char* to_string(MatchStatus status) {
  switch (status) {
    case MatchStatus::TruePositive:
      return "tp";
    case MatchStatus::FalseNegative:
      return "fn";
    case MatchStatus::FalsePositive:
      return "fp";
    case MatchStatus::Crowd:
      return "crowd";
    case MatchStatus::Ignored:
      return "ignored";
  }
  return "?";
}

}  // namespace segx::metrics
