// The classes of the datasets that detectron2 configs name (DATASETS.TRAIN[0]), as upstream's
// MetadataCatalog holds them (detectron2's builtin registrations and those of Mask2Former,
// MaskFormer and OneFormer), from segx's category lists (datasets/*.json, built into the library).
// The test of the official configs compares each with the metadata the official code registers
// (tests/parity/model/data/detectron2_config_refs.json.gz).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "segx/io/embedded_data.hpp"
#include "segx/model/import/detectron2.hpp"

namespace segx::model {
namespace {

struct DatasetRule {
  std::vector<const char*> names;  // detectron2 dataset names
  const char* list;                // segx's category list (datasets/<list>.json)
  bool things_only;                // the instance datasets: only the thing categories
  bool by_train_id;                // Cityscapes: contiguous ids are trainIds
  bool thing_map;                  // upstream has thing_dataset_id_to_contiguous_id
  bool id_map;                     // upstream maps every class to a dataset id
  // The repositories that register the name; nullptr: detectron2 itself (all of them).
  std::vector<const char*> repositories;
};

const std::vector<DatasetRule>& rules() {
  static const std::vector<DatasetRule> table = {
      {{"coco_2017_train_panoptic", "coco_2017_val_panoptic"},
       "coco_panoptic",
       false,
       false,
       true,
       true,
       {}},
      {{"coco_2017_train_panoptic_with_sem_seg", "coco_2017_val_panoptic_with_sem_seg"},
       "coco_panoptic",
       false,
       false,
       true,
       true,
       {"mask2former", "oneformer"}},
      {{"coco_2017_train", "coco_2017_val"}, "coco_instances", false, false, true, true, {}},
      {{"ade20k_sem_seg_train", "ade20k_sem_seg_val"}, "ade20k", false, false, false, false, {}},
      {{"ade20k_panoptic_train", "ade20k_panoptic_val"}, "ade20k", false, false, true, true, {}},
      {{"ade20k_instance_train", "ade20k_instance_val"},
       "ade20k",
       true,
       false,
       true,
       true,
       {"mask2former", "oneformer"}},
      {{"cityscapes_fine_panoptic_train", "cityscapes_fine_panoptic_val"},
       "cityscapes",
       false,
       true,
       true,
       true,
       {}},
      {{"cityscapes_fine_sem_seg_train", "cityscapes_fine_sem_seg_val"},
       "cityscapes",
       false,
       true,
       false,
       false,
       {}},
      {{"cityscapes_fine_instance_seg_train", "cityscapes_fine_instance_seg_val"},
       "cityscapes",
       true,
       true,
       false,
       false,
       {}},
      {{"mapillary_vistas_panoptic_train", "mapillary_vistas_panoptic_val"},
       "mapillary_vistas",
       false,
       false,
       true,
       true,
       {"mask2former", "oneformer"}},
      {{"mapillary_vistas_sem_seg_train", "mapillary_vistas_sem_seg_val"},
       "mapillary_vistas",
       false,
       false,
       false,
       false,
       {}},
  };
  return table;
}

bool listed(const std::vector<const char*>& names, const std::string& name) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

struct Category {
  std::string name;
  int id = 0;
  int order = 0;  // contiguous order: the file's, or the trainId
  bool thing = false;
};

std::vector<Category> categories(const DatasetRule& rule) {
  const std::string path = std::string("datasets/") + rule.list + ".json";
  const std::string_view text = io::embedded_file(path);
  const auto doc = nlohmann::json::parse(text.begin(), text.end());
  std::vector<Category> out;
  for (const auto& c : doc.at("categories")) {
    Category cat{c.at("name").get<std::string>(), c.at("id").get<int>(),
                 static_cast<int>(out.size()), c.at("isthing").get<int>() != 0};
    if (rule.by_train_id) cat.order = c.at("trainId").get<int>();
    if (!rule.things_only || cat.thing) out.push_back(cat);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Category& a, const Category& b) { return a.order < b.order; });
  return out;
}

}  // namespace

Detectron2DatasetClasses detectron2_dataset_classes(const std::string& dataset,
                                                    const std::string& repository) {
  Detectron2DatasetClasses out;
  for (const auto& rule : rules()) {
    if (!listed(rule.names, dataset)) continue;
    if (!rule.repositories.empty() && !listed(rule.repositories, repository)) return out;
    out.known = true;
    out.source = std::string("datasets/") + rule.list + ".json";
    const auto cats = categories(rule);
    for (std::size_t i = 0; i < cats.size(); ++i) {
      out.class_names.push_back(cats[i].name);
      if (rule.id_map) out.category_ids.push_back(cats[i].id);
      if (rule.thing_map && cats[i].thing) out.thing_classes.push_back(static_cast<int>(i));
    }
    return out;
  }
  return out;
}

}  // namespace segx::model
