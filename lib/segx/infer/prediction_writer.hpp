// What `segx infer` writes: a segx manifest of the predictions (a header, then one record per
// image, segments as COCO RLE) and, with an output folder, the files other tools read: COCO
// panoptic JSON + PNGs, semantic label PNGs, or a COCO results JSON. The folder is filled through
// io::StagedDir, so a failed run leaves it as it was.
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "segx/infer/predictor.hpp"

namespace segx::infer {

// The header of the prediction manifest: the input manifest's (its categories are the ids the
// model was trained on, and `segx eval` pairs the two) with "_pred" added to its dataset name and
// without its "root" (the records name the files as read); else, with a null input header, one
// naming the model's classes.
nlohmann::json prediction_header(const nlohmann::json& input_header,
                                 const std::vector<PredictedCategory>& classes);

struct PredictionWriterOptions {
  std::string task = "panoptic";  // panoptic | instance | semantic
  std::string out_dir;            // empty: the manifest only
  bool overwrite = false;         // write into a non-empty out_dir
};

// With out_dir, per task:
//   panoptic: <out_dir>/panoptic/<stem>.png + <out_dir>/panoptic.json (categories: the header's);
//   semantic: <out_dir>/semantic/<stem>.png, 8-bit, or 16-bit when an id exceeds 255;
//   instance: <out_dir>/results.json.
// Records name these files by their final paths (pan_seg_file_name, sem_seg_file_name).
class PredictionWriter {
 public:
  // Writes the header to `manifest` at once. Throws Error(CannotCreate) for a non-empty out_dir
  // without overwrite.
  PredictionWriter(std::ostream& manifest, nlohmann::json header,
                   const PredictionWriterOptions& options);
  ~PredictionWriter();
  PredictionWriter(const PredictionWriter&) = delete;
  PredictionWriter& operator=(const PredictionWriter&) = delete;

  // One image: `file` is the image read (the record's file_name), `image_id` the record's id,
  // `output_stem` the PNG's name in the folder without ".png" (io::relative_output_stems keeps
  // the inputs' folders apart; empty: the file's stem). Error(DataError) for a name that would
  // leave the folder or that another image of the run has written.
  void write(const Prediction& prediction, const std::string& file, const nlohmann::json& image_id,
             const std::string& output_stem = {});
  // Writes panoptic.json / results.json and moves the folder's files into place. Without it
  // (an error on the way) the folder stays as it was.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segx::infer
