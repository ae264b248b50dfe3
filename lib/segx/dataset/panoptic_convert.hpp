// Conversions out of COCO panoptic: to COCO instances (panopticapi panoptic2detection) and to
// semantic segmentation (PNGs in three id schemes, or panopticapi's COCO-JSON "stuff" format).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

#include "segx/dataset/coco_panoptic.hpp"

namespace segx::dataset {

struct PanopticToInstancesOptions {
  bool things_only = false;
  int64_t id_start = 0;  // panopticapi numbers from 0; COCOeval never matches an id of 0
  int threads = 0;
  // Decides isthing for --things-only (panopticapi reads a separate categories file); empty: the
  // input JSON's categories.
  const CategorySet* categories = nullptr;
};

// Writes the COCO instances JSON: the input with "annotations" replaced by one RLE annotation per
// segment (fields of segments_info kept, "id" renumbered, image_id and segmentation added) and
// "isthing"/"color" dropped from categories -- exactly panopticapi's output.
void panoptic_to_instances(const CocoPanoptic& in, const PanopticToInstancesOptions& options,
                           std::ostream& out);

enum class SemanticScheme {
  Category,     // raw category ids, 0 unlabeled (panopticapi panoptic2semantic_segmentation)
  Contiguous,   // position in the category list, 255 ignore (Mask2Former/OneFormer prepare scripts)
  PanopticFpn,  // things 0, stuff 1..N in list order, 255 unlabeled (detectron2 prepare_panoptic_fpn)
};
SemanticScheme parse_semantic_scheme(const std::string& name);
const char* to_string(SemanticScheme scheme);

struct PanopticToSemanticOptions {
  SemanticScheme scheme = SemanticScheme::Category;
  int threads = 0;
  const CategorySet* categories = nullptr;  // the label space; default: the input's categories
  const JsonValue* categories_json = nullptr;  // its JSON, copied into JSON output
  bool overwrite = false;
};

// One PNG per annotation (same file name) in `out_dir` (prepared with io::prepare_output_dir).
// 8-bit unless a raw category id exceeds 255 (then 16-bit).
void panoptic_to_semantic_pngs(const CocoPanoptic& in, const PanopticToSemanticOptions& options,
                               const std::string& out_dir);

// panopticapi's COCO-JSON mode: one RLE per (image, category), area and float bbox from the RLE,
// ids from 0, categories without isthing/color.
void panoptic_to_semantic_json(const CocoPanoptic& in, const PanopticToSemanticOptions& options,
                               std::ostream& out);

}  // namespace segx::dataset
