// ADE20K scene parsing (ADEChallengeData2016: images/{training,validation}/*.jpg and
// annotations/.../*.png with 0 = other, 1..150 = classes) and generic semantic folders, as manifests.
#pragma once
#include <iosfwd>
#include <string>

#include "segx/dataset/categories.hpp"

namespace segx::dataset {

// The 150 classes, ids 1..150 (names as detectron2's ADE20K_SEM_SEG_CATEGORIES).
CategorySet ade20k_categories();

// Records pair images/<split>/X.jpg with annotations/<split>/X.png. The header says
// semantic_ids "category" (0 unlabeled); with reduce_zero_label it adds "reduce_zero_label": true,
// i.e. consumers map 0 -> 255 and k -> k-1 (mmseg/Mask2Former's contiguous 0..149).
void ade20k_to_manifest(const std::string& root, const std::string& split, bool reduce_zero_label,
                        std::ostream& out);

// Pairs every image in images_dir with labels_dir/<stem>.png (missing labels are an error).
void semantic_folder_to_manifest(const std::string& images_dir, const std::string& labels_dir,
                                 const CategorySet& categories, const std::string& scheme,
                                 const std::string& name, std::ostream& out);

}  // namespace segx::dataset
