// Weaker datasets from a panoptic manifest, as DaTaSeg's experiments train on them: semantic-only,
// instance-only, boxes-only or a smaller panoptic set, of some of the records, some of the
// classes, with classes renamed (`segx convert derive`).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace segx::dataset {

// What the derived records annotate.
enum class DerivedKind {
  Panoptic,   // pan_seg_file_name + segments_info (PNGs rewritten, dropped classes void)
  Semantic,   // sem_seg_file_name: one label PNG per image, category ids, 0 unlabeled
  Instances,  // annotations of the thing segments: bbox, area, compressed COCO RLE
  Boxes,      // the same annotations without segmentation
};
// "panoptic", "semantic", "instances", "boxes"; anything else is Error(Usage).
DerivedKind parse_derived_kind(const std::string& name);
const char* to_string(DerivedKind kind);

// Records by position, [start, stop) from 0, as a training config's "slice": [start, stop];
// negative values count from the end. Unlike training, a slice reaching past the records is an
// error (Error(Usage)), not clamped: a derived dataset must hold what was asked for.
struct RecordSlice {
  int64_t start = 0;
  std::optional<int64_t> stop;  // none: to the end
  bool negative() const { return start < 0 || (stop && *stop < 0); }
};
// "A:B", "A:" or ":B" (Error(Usage) for anything else, or a slice that can select nothing).
RecordSlice parse_record_slice(const std::string& text);
// [first, last) of `count` records; Error(Usage) when the slice reaches past them or is empty.
std::pair<int64_t, int64_t> resolve_slice(const RecordSlice& slice, int64_t count,
                                          const std::string& source);

// Category ids as "1-5,8,12": single ids and inclusive ranges.
struct ClassSelection {
  std::string text;  // as given, for messages
  std::vector<std::pair<int64_t, int64_t>> ranges;
  bool contains(int64_t id) const;
};
// Error(Usage) on bad syntax (an empty item, a range whose end is below its start, a non-number).
ClassSelection parse_class_selection(const std::string& text);

// A committed table of new ids and names for some classes:
//   {"renames": [{"from": 3, "id": 103, "name": "automobile"}, {"from": 7, "name": "bike"}]}
// "from" is a category id of the input; "id" and "name" (at least one) replace it; classes not
// listed keep theirs. Other top-level members (a "description") are ignored.
struct ClassRename {
  int64_t from = 0;
  std::optional<int64_t> id;
  std::optional<std::string> name;
};
struct RenameTable {
  std::string path;
  std::vector<ClassRename> entries;
};
// Error(NoInput) when missing, Error(DataError) for bad JSON or a bad entry (naming the file and
// "renames[i]"); entries that conflict with the dataset are checked by derive_manifest.
RenameTable read_rename_table(const std::string& path);

struct DeriveOptions {
  DerivedKind kind = DerivedKind::Panoptic;
  RecordSlice slice;
  std::optional<ClassSelection> keep_classes;  // none: every class
  std::optional<RenameTable> renames;
  std::string name;        // the header's "dataset"; empty: the input's + "_" + the kind
  std::string out_dir;     // the label PNGs (semantic, panoptic); none for instances and boxes
  bool overwrite = false;  // write into a non-empty out_dir
  int threads = 0;
};

// Reads the panoptic manifest `input` ("-": stdin) and writes the derived one to `output` ("-":
// stdout), its PNGs into options.out_dir. Paths in the records are relative to the output
// manifest's folder (absolute on stdout); the header's "root" is dropped. Fields segx does not
// know are kept; the other label fields (sem_seg_file_name, annotations, instance_ids_file_name)
// are dropped. Nothing is written on error: Error(Usage) for options that do not fit the kind or
// the record count, Error(Config) for --keep-classes or renames that do not fit the header
// (naming the file and entry), Error(DataError) for a record that is not panoptic or disagrees
// with its PNG or header (naming the file and line), Error(CannotCreate) for a non-empty out_dir.
void derive_manifest(const std::string& input, const std::string& output,
                     const DeriveOptions& options);

}  // namespace segx::dataset
