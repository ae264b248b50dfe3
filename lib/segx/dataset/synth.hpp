// The synthetic dataset generator: panoptic scenes of stuff bands, unlabeled patches and things of
// several sizes (crowds included), rendered as RGB images a model can learn, with optional
// perturbed "predictions" carrying scores. Deterministic for a seed at any scale.
#pragma once
#include <cstdint>
#include <string>

#include "segx/dataset/categories.hpp"

namespace segx::dataset {

struct SynthOptions {
  int64_t images = 100;
  int width = 640, height = 480;
  uint64_t seed = 1;
  bool predictions = false;  // also write panoptic_pred.json + panoptic_pred/
  bool rgb_images = true;    // render images/*.jpg (benchmarks of label handling may skip them)
  int threads = 0;
  bool overwrite = false;
};

// The embedded label space: 20 things and 10 stuff categories with gaps in the ids.
CategorySet synth_categories();

// Writes into `out_dir` (refused when not empty unless overwrite):
//   categories.json, images/NNNNNNNNNNNN.jpg, panoptic_gt.json + panoptic_gt/*.png,
//   manifest.jsonl (segx manifest of the ground truth), and with predictions
//   panoptic_pred.json + panoptic_pred/*.png (segments carry "score").
void generate_synth(const SynthOptions& options, const std::string& out_dir);

}  // namespace segx::dataset
