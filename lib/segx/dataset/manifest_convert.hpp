// COCO panoptic <-> segx manifest.
#pragma once
#include <iosfwd>
#include <string>

#include "segx/dataset/coco_panoptic.hpp"

namespace segx::dataset {

// One record per annotation: file_name (joined to images_dir when given), height/width (from
// "images" or the PNG), pan_seg_file_name, and segments_info copied with every field; other
// fields of the "images" entry are kept too. The header's root is the working directory's view of
// the paths, so records stay relative.
void coco_panoptic_to_manifest(const CocoPanoptic& in, const std::string& images_dir,
                               const std::string& name, std::ostream& out);

// The reverse: a COCO panoptic JSON whose PNGs are copied into out_dir (named after the image).
void manifest_to_coco_panoptic(const std::string& manifest, const std::string& out_json,
                               const std::string& out_dir, bool overwrite);

}  // namespace segx::dataset
