// What an import of an official checkpoint did with the upstream config's keys, for the report
// that `segx model import` writes beside the converted model (and prints with -v).
#pragma once
#include <string>
#include <vector>

namespace segx::model {

struct ImportReport {
  // Keys that became segx model config values ("MODEL.SWIN.WINDOW_SIZE -> swin.window_size").
  std::vector<std::string> used;
  // Keys that do not change the network or its inference (solver, datasets, data loader,
  // training-only input keys), each with why ("SOLVER.BASE_LR: training only").
  std::vector<std::string> not_used;
  // Anything else worth saying (a default assumed, a name heuristic applied).
  std::vector<std::string> notes;
};

}  // namespace segx::model
