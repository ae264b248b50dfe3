// Dataset lint: consistency checks between annotation JSON and pixels (COCO panoptic, COCO
// instances/results, segx manifests), reported as findings rather than stopping at the first.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "segx/dataset/coco_instances.hpp"
#include "segx/dataset/coco_panoptic.hpp"

namespace segx::dataset {

struct LintFinding {
  std::string check;  // missing_file, unreadable_png, size_mismatch, id_not_in_json,
                      // id_not_in_png, duplicate_segment_id, duplicate_image_id,
                      // duplicate_annotation_id, unknown_category, unknown_image, area_mismatch,
                      // bbox_mismatch, bad_segmentation, overlap
  std::string where;  // file and record
  std::string message;
};

struct LintReport {
  std::string input;
  std::string format;  // coco_panoptic | coco_instances | coco_results | manifest
  std::size_t images = 0, segments = 0;
  std::vector<LintFinding> findings;
};

LintReport lint_panoptic(const CocoPanoptic& in, int threads);
// `images` gives sizes for a results list (may be `in` itself).
LintReport lint_instances(const CocoInstances& in, const CocoInstances& images, int threads);
LintReport lint_manifest(const std::string& path, int threads);

// Reads `path`, detects its format (manifest by .jsonl or a header first line; panoptic by
// segments_info; instances otherwise) and lints it. png_dir: for COCO panoptic.
LintReport lint_path(const std::string& path, const std::string& png_dir, int threads);

void write_lint_text(const LintReport& report, std::ostream& out);
void write_lint_json(const LintReport& report, std::ostream& out);

}  // namespace segx::dataset
