// Training datasets: the records (image, panoptic PNG, segments) of a segx manifest or a COCO
// panoptic JSON + PNG folder + image folder, mapped onto the model's contiguous classes.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/dataset/categories.hpp"
#include "segx/train/task_targets.hpp"

namespace segx::train {

// What the training config says about one dataset.
struct DatasetSpec {
  std::string name;
  std::string format = "manifest";  // "manifest" or "coco_panoptic"
  std::string path;                 // manifest, or COCO panoptic JSON
  std::string png_dir;              // coco_panoptic: default the JSON path without extension
  std::string images_dir;           // coco_panoptic: folder of the images
  double rate = 1.0;                // sampling rate among datasets (> 0)
  std::vector<Task> tasks{Task::Panoptic};
  // Python-style slice of the records: [start, stop), negative values count from the end.
  std::int64_t start = 0;
  std::int64_t stop = INT64_MAX;
  // With a shared vocabulary: dataset category id -> class id of the label space.
  std::map<std::int64_t, std::int64_t> category_remap;
};

// The model's classes: contiguous index -> dataset category.
struct TrainClasses {
  std::vector<std::int64_t> category_ids;
  std::vector<std::string> names;
  std::vector<bool> isthing;
  // Datasets are mapped by category name (a shared vocabulary) instead of id.
  bool match_by_name = false;

  static TrainClasses from_categories(const dataset::CategorySet& categories);
  int size() const { return static_cast<int>(names.size()); }
  // Contiguous index of a dataset category, -1 when the label space lacks it.
  int index_of(const dataset::Category& category) const;
  std::vector<int> thing_indices() const;
};

struct TrainRecord {
  std::string image_id;
  std::string image;                       // image file
  std::string panoptic;                    // panoptic PNG
  std::vector<SegmentInfo> segments;       // class_index: contiguous model class
  std::vector<std::int64_t> category_ids;  // each segment's dataset category id (evaluation)
};

struct TrainDataset {
  DatasetSpec spec;
  dataset::CategorySet categories;
  std::vector<TrainRecord> records;
};

// Reads the dataset's categories only (to build the label space before the records).
dataset::CategorySet read_dataset_categories(const DatasetSpec& spec);

// Reads, slices and maps a dataset. Error(Config) when a category is missing from `classes`,
// Error(DataError) for an empty dataset or a bad record, Error(NoInput) for a missing file.
TrainDataset load_train_dataset(const DatasetSpec& spec, const TrainClasses& classes);

}  // namespace segx::train
