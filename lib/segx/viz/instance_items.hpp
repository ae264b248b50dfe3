// The pictures of COCO instances JSON (ground truth) or COCO results JSON (predictions with
// scores, over the images an instances JSON lists), and of segx manifests, as visualize work items.
#pragma once
#include <string>
#include <vector>

#include "segx/dataset/coco_instances.hpp"
#include "segx/viz/coco_items.hpp"

namespace segx::viz {

// One item per image of `gt` (file order). Without `results`, the GT instances are drawn (larger
// first, so small ones stay visible); with it, the results of each image scoring at least
// `min_score`, lowest score first (the best on top), labelled with their scores. Masks come from
// RLE or polygons, or the box when a result has no segmentation. Results for an image not in `gt`
// fail naming it.
std::vector<VizItem> coco_instance_items(const dataset::CocoInstances& gt,
                                         const dataset::CocoInstances* results, double min_score,
                                         const std::string& images_dir);

enum class ManifestLabels { Auto, Panoptic, Semantic, Instances };
ManifestLabels parse_manifest_labels(const std::string& text);  // Error(Usage) when unknown

struct ManifestItems {
  CategoryTable categories;
  std::vector<VizItem> items;
};

// One item per record. Auto draws the panoptic segments when a record has segments_info (its PNG,
// or the segments' RLEs when there is no PNG), else its semantic PNG (id scheme from the header),
// else its instance annotations. Photos: the record's file_name resolved like the manifest's
// other paths, or images_dir/<its file name> when images_dir is given. `min_score` filters
// scored instances.
ManifestItems manifest_items(const std::string& path, ManifestLabels which,
                             const std::string& images_dir, double min_score);

}  // namespace segx::viz
