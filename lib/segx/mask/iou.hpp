// Overlap of masks and boxes with COCO's crowd rule: for a crowd ground truth the union is the
// detection's own area (maskApi rleIou / bbIou).
#pragma once
#include <vector>

#include "segx/mask/rle.hpp"

namespace segx::mask {

// IoU of two boxes; crowd: intersection over the detection box area.
double box_iou(const Box& dt, const Box& gt, bool crowd);

// IoU of two masks as rleIou: 0 when the boxes do not overlap, -1 when the sizes differ.
// dt_box/gt_box are the masks' to_bbox() (passed in so callers compute them once).
double rle_iou(const Rle& dt, const Box& dt_box, const Rle& gt, const Box& gt_box, bool crowd);
double rle_iou(const Rle& dt, const Rle& gt, bool crowd);

// Matrices as maskUtils.iou(dt, gt, iscrowd): out[d * gt.size() + g].
std::vector<double> box_iou(const std::vector<Box>& dt, const std::vector<Box>& gt,
                            const std::vector<uint8_t>& iscrowd);
std::vector<double> rle_iou(const std::vector<Rle>& dt, const std::vector<Rle>& gt,
                            const std::vector<uint8_t>& iscrowd);

}  // namespace segx::mask
