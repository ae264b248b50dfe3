// Cityscapes: the label table of cityscapesScripts' labels.py (34 label ids, 19 train ids) and the
// gtFine directory layout, converted to segx manifests or COCO panoptic (as createPanopticImgs).
#pragma once
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "segx/dataset/categories.hpp"

namespace segx::dataset {

struct CityscapesLabel {
  const char* name;
  int id;
  int train_id;  // 255: not trained/evaluated; -1: license plate
  const char* category;
  int category_id;
  bool has_instances;
  bool ignore_in_eval;
  std::array<uint8_t, 3> color;
};

// The 35 rows of labels.py in its order (ids 0..33 and the license plate, -1).
const std::vector<CityscapesLabel>& cityscapes_labels();
const CityscapesLabel* cityscapes_label(int id);
// label id (0..33) -> train id (0..18, 255 ignore), as createTrainIdLabelImgs.
std::array<uint8_t, 256> cityscapes_label_to_train_id();
// The evaluated categories (ignoreInEval false), as createPanopticImgs lists them.
CategorySet cityscapes_categories(bool train_ids);

struct CityscapesOptions {
  std::string split = "val";
  bool train_ids = false;
  int threads = 0;
  bool overwrite = false;
};

// Image records with file_name (leftImg8bit), sem_seg_file_name (labelIds or labelTrainIds),
// instance_ids_file_name, height, width; the header's semantic_ids says which.
void cityscapes_to_manifest(const std::string& root, const CityscapesOptions& options, std::ostream& out);

// cityscapesScripts createPanopticImgs: from *_gtFine_instanceIds.png (sorted), one PNG per image
// and the JSON (image id = file stem, segment id = instance id, crowd for < 1000 of a thing class).
void cityscapes_to_coco_panoptic(const std::string& root, const CityscapesOptions& options,
                                 const std::string& out_json, const std::string& out_dir);

}  // namespace segx::dataset
