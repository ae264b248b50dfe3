// A segx model config from a detectron2 config of Mask2Former, MaskFormer or OneFormer
// (io/detectron2_config resolves the YAML): every key is honoured (becomes a segx config value),
// checked (refused by name unless it has a value segx builds the same network for), or reported
// as not used. The rule of each key is one row of detectron2_key_table()
// (detectron2_keys.cpp); thing_classes, class_names and category_ids come from segx's category
// list of the dataset named by DATASETS.TRAIN[0] (detectron2_datasets.cpp).
#pragma once
#include <string>
#include <vector>

#include "segx/io/detectron2_config.hpp"
#include "segx/model/config.hpp"
#include "segx/model/import/report.hpp"

namespace segx::model {

struct Detectron2Import {
  ModelConfig config;
  ImportReport report;
};

// The segx model config of a resolved detectron2 config, validated as load_model_config
// validates a file. Error(Config), one line "'<config file>': <KEY> <value>: <why>", for a key
// whose value segx cannot honour: an architecture or backbone segx does not build (e.g.
// MODEL.BACKBONE.NAME 'D2DiNAT'), a checked key off its accepted values (e.g.
// MODEL.RESNETS.DEFORM_ON_PER_STAGE with a True), an unevaluated Python expression where segx
// needs the value, or a value segx's model config refuses.
Detectron2Import model_config_from_detectron2(const io::Detectron2Config& resolved);

// resolve_detectron2_config + model_config_from_detectron2.
Detectron2Import import_detectron2_config(const std::string& path,
                                          const io::Detectron2ResolveOptions& options = {});

// One row of the key table.
enum class Detectron2KeyUse {
  Honoured,  // becomes the segx config value(s) named by `what`
  Checked,   // must have one of the values `what` names, else the import is refused
  NotUsed,   // does not change the network or its inference: `what` says why
};

struct Detectron2KeyRule {
  const char* pattern;  // a dotted key, or a section "MODEL.ROI_HEADS.*"
  Detectron2KeyUse use;
  const char* what;
  // Honoured and Checked rows: the models that read the key ("ResNet backbones"); empty: all.
  const char* scope;
};

// Every rule, the first matching row applying; every key of every repository's defaults
// matches a row (a unit test checks).
const std::vector<Detectron2KeyRule>& detectron2_key_table();
// The row for a dotted key, or nullptr.
const Detectron2KeyRule* detectron2_key_rule(const std::string& key);

// Classes of a detectron2 dataset name as upstream's MetadataCatalog holds them, from segx's
// category lists (datasets/*.json, built in); `known` false where segx has no list for it.
struct Detectron2DatasetClasses {
  bool known = false;
  std::string source;                    // "datasets/ade20k.json"
  std::vector<std::string> class_names;  // by contiguous id
  std::vector<int> category_ids;         // dataset id by contiguous id; empty: upstream has none
  // Sorted values of thing_dataset_id_to_contiguous_id; empty where upstream has no such map
  // (semantic datasets, Cityscapes instance).
  std::vector<int> thing_classes;
};
Detectron2DatasetClasses detectron2_dataset_classes(const std::string& dataset,
                                                    const std::string& repository);

}  // namespace segx::model
