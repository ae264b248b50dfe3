// Training datasets: the records of a segx manifest (panoptic, semantic-only, instance-only or
// boxes-only annotations) or a COCO panoptic JSON + PNG folder + image folder, mapped onto the
// model's contiguous classes, with the label space each dataset annotates (DaTaSeg).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/dataset/categories.hpp"
#include "segx/mask/rle.hpp"
#include "segx/metrics/semantic_iou.hpp"
#include "segx/train/task.hpp"
#include "segx/train/train_options.hpp"

namespace segx::train {

// The model's classes: contiguous index -> dataset category.
struct TrainClasses {
  std::vector<std::int64_t> category_ids;
  std::vector<std::string> names;
  std::vector<bool> isthing;
  // Datasets are mapped by category name (a shared vocabulary) instead of id.
  bool match_by_name = false;
  std::string vocabulary;  // the vocabulary file when the label space is its classes

  static TrainClasses from_categories(const dataset::CategorySet& categories);
  int size() const { return static_cast<int>(names.size()); }
  // Contiguous index of a dataset category, -1 when the label space lacks it.
  int index_of(const dataset::Category& category) const;
  std::vector<int> thing_indices() const;
};

// What a record's annotations can supply: panoptic (every task), semantic-only (a label PNG:
// the semantic task), instance-only (masks) and boxes-only (the instance task; boxes train with
// the box-projection loss).
enum class AnnotationKind { Panoptic, Semantic, Instances, Boxes };
const char* annotation_name(AnnotationKind kind);
bool supports(AnnotationKind kind, Task task);

// One instance annotation of an instance-only or boxes-only record.
struct TrainInstance {
  int class_index = 0;
  bool iscrowd = false;
  mask::Rle mask;               // instance-only; empty (0 x 0) for boxes-only
  std::array<double, 4> box{};  // x0, y0, x1, y1 in pixels
};

struct TrainRecord {
  AnnotationKind kind = AnnotationKind::Panoptic;
  std::string image_id;
  std::string image;                       // image file
  std::string panoptic;                    // panoptic PNG
  std::vector<SegmentInfo> segments;       // class_index: contiguous model class
  std::vector<std::int64_t> category_ids;  // each segment's dataset category id (evaluation)
  std::string semantic;                    // semantic-only: label PNG
  std::vector<TrainInstance> instances;    // instance-only and boxes-only
};

struct TrainDataset {
  DatasetSpec spec;
  dataset::CategorySet categories;
  std::vector<TrainRecord> records;
  std::vector<bool> label_space;  // [K]: the classes this dataset's categories map to
  // Semantic-only records: label value -> contiguous class (LabelMap::kIgnore, kInvalid), from
  // the header's semantic_ids scheme (segx-manifest(5)).
  metrics::LabelMap semantic_classes;
};

// Reads the dataset's categories only (to build the label space before the records).
dataset::CategorySet read_dataset_categories(const DatasetSpec& spec);

// Reads, slices and maps a dataset. Error(Config) when a category is missing from `classes` or a
// task needs annotations the records lack, Error(DataError) for an empty dataset or a bad
// record, Error(NoInput) for a missing file. Without "tasks" in the config a dataset trains what
// its first record's annotations support (panoptic records: the panoptic task).
TrainDataset load_train_dataset(const DatasetSpec& spec, const TrainClasses& classes);

}  // namespace segx::train
