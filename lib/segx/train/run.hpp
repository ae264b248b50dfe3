// `segx train` as one call, without LibTorch in its interface (the CLI includes it): loads the
// config and data, joins the process group named by the environment, builds the trainer with
// its hooks and runs it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace segx::train {

struct TrainRunOptions {
  std::string config;                  // training config JSON
  std::vector<std::string> overrides;  // KEY=VALUE, applied to the config (config_overrides.hpp)
  std::string output;                  // overrides the config's "output"
  std::string vocab;                   // vocabulary JSON ("-": stdin) for a shared label space
  bool resume = false;
  std::int64_t max_iter = 0;  // stop after this many iterations (0: the schedule's end)
  int threads = 0;            // LibTorch intra-op threads (0: default)
  std::string device = "cpu";
  std::string dist_backend = "auto";  // collectives between processes: auto, gloo or nccl
  std::optional<std::uint64_t> seed;  // overrides the config's
};

// Returns 0 when the schedule (or --max-iter) completed, 128 + signal when a SIGINT/SIGTERM
// stopped it (after a checkpoint). Errors are thrown as segx::Error.
int run_training(const TrainRunOptions& options);

// Async-signal-safe: the loop checkpoints and stops after the current iteration.
void request_stop(int signal);

}  // namespace segx::train
