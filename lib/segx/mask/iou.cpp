// Mask and box IoU with COCO's crowd rule, as maskApi's bbIou/rleIou compute it.
#include "segx/mask/iou.hpp"

#include "segx/mask/joint_runs.hpp"

#include <algorithm>
#include <cmath>

namespace segx::mask {

double box_iou(const Box& d, const Box& g, bool crowd) {
  const double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
  if (w <= 0) return 0;
  const double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
  if (h <= 0) return 0;
  const double i = w * h;
  const double da = d[2] * d[3];
  const double u = crowd ? da : da + g[2] * g[3] - i;
  return i / u;
}

namespace {

// Intersection and union pixel counts of two masks of one size, walking both run lists.
void overlap(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b, uint64_t& inter,
             uint64_t& uni) {
  inter = uni = 0;
  for_each_joint_run(a, b, [&](uint32_t c, bool va, bool vb) {
    if (va || vb) uni += c;
    if (va && vb) inter += c;
  });
}

}  // namespace

double rle_iou(const Rle& dt, const Box& dt_box, const Rle& gt, const Box& gt_box, bool crowd) {
  // The box test first: it is exact (boxes are tight) and skips most pairs.
  if (!(box_iou(dt_box, gt_box, crowd) > 0)) return 0;
  if (dt.height != gt.height || dt.width != gt.width) return -1;
  uint64_t inter = 0, uni = 0;
  overlap(dt.counts, gt.counts, inter, uni);
  // pycocotools keeps these counts in 32 bits; masks below 2^32 pixels behave the same.
  if (inter == 0) return 0;
  if (crowd) uni = area(dt);
  return double(uint32_t(inter)) / double(uint32_t(uni));
}

double rle_iou(const Rle& dt, const Rle& gt, bool crowd) {
  return rle_iou(dt, to_bbox(dt), gt, to_bbox(gt), crowd);
}

std::vector<double> box_iou(const std::vector<Box>& dt, const std::vector<Box>& gt,
                            const std::vector<uint8_t>& iscrowd) {
  std::vector<double> out(dt.size() * gt.size());
  for (size_t d = 0; d < dt.size(); ++d)
    for (size_t g = 0; g < gt.size(); ++g)
      out[d * gt.size() + g] = box_iou(dt[d], gt[g], g < iscrowd.size() && iscrowd[g]);
  return out;
}

std::vector<double> rle_iou(const std::vector<Rle>& dt, const std::vector<Rle>& gt,
                            const std::vector<uint8_t>& iscrowd) {
  std::vector<Box> db(dt.size()), gb(gt.size());
  for (size_t d = 0; d < dt.size(); ++d) db[d] = to_bbox(dt[d]);
  for (size_t g = 0; g < gt.size(); ++g) gb[g] = to_bbox(gt[g]);
  std::vector<double> out(dt.size() * gt.size());
  for (size_t d = 0; d < dt.size(); ++d)
    for (size_t g = 0; g < gt.size(); ++g)
      out[d * gt.size() + g] =
          rle_iou(dt[d], db[d], gt[g], gb[g], g < iscrowd.size() && iscrowd[g]);
  return out;
}

}  // namespace segx::mask
