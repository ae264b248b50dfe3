// The images `segx infer` predicts, from its command-line inputs: image files, folders of images,
// segx manifests (a .jsonl/.ndjson file, or "-" with a manifest on stdin) and path lists on stdin.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segx::infer {

// One image to predict. Images named by a manifest record keep the record's image_id, so the
// predictions pair with that manifest's ground truth in `segx eval`.
struct InputImage {
  std::string file;         // the path to read (a manifest's file_name resolved)
  nlohmann::json image_id;  // the record's image_id; null: the output stem (segx infer)
};

struct InputImages {
  std::vector<InputImage> images;
  nlohmann::json header;  // the input manifest's header record; null without a manifest
};

// Expands the inputs in order:
// - a folder: its image files (by extension), sorted by name;
// - a manifest (name ending .jsonl/.ndjson, or "-" when stdin starts with '{'): read with
//   dataset::ManifestReader, so each record's file_name resolves as in every other command
//   (absolute as is, else against the header's "root", else against the manifest's folder; the
//   current folder for stdin). At most one manifest: its header becomes the output's;
// - "-" otherwise: one image path per line (blank lines skipped);
// - anything else: an image file.
// Errors: a second manifest (Usage), a record without file_name (DataError, naming the line).
InputImages collect_input_images(const std::vector<std::string>& inputs);

}  // namespace segx::infer
