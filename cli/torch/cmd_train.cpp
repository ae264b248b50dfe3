// segx train: Mask2Former / OneFormer training from a JSON description (datasets, model, solver,
// input).
#include <csignal>

#include "command.hpp"
#include "deprecated.hpp"
#include "segx/train/run.hpp"

namespace segx::cli {
namespace {

extern "C" void on_stop_signal(int signal) {
  train::request_stop(signal);
}

int run_train(const train::TrainRunOptions& o) {
  // The first SIGINT/SIGTERM asks for a checkpoint and a clean stop; a second one kills.
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return train::run_training(o);
}

}  // namespace

Runner setup_train(CLI::App& app) {
  auto o = std::make_shared<train::TrainRunOptions>();
  auto seed = std::make_shared<std::uint64_t>(0);
  app.add_option("--config", o->config, "training config JSON (datasets, model, solver, input)")
      ->required();
  app.add_option("overrides", o->overrides,
                 "KEY=VALUE config overrides, as detectron2's trailing opts: a dotted key (list "
                 "elements by index: datasets.0.path=gt.json), a JSON value or else a string; "
                 "paths are relative to the current folder. The config as run is saved as "
                 "train_config.json in the output folder");
  add_deprecated_alias(
      app, "--output", o->output,
      app.add_option("--out-dir", o->output, "output folder (default: the config's \"output\")"));
  app.add_flag("--resume", o->resume,
               "continue from the output folder's last checkpoint (or start there if it has none)");
  app.add_option(
      "--max-iter", o->max_iter,
      "stop after this many iterations (with a checkpoint) without changing the schedule");
  app.add_option("-j,--threads", o->threads,
                 "CPU threads: the batch runs as this many parallel chunks (0: LibTorch's count)")
      ->capture_default_str();
  app.add_option("--device", o->device, "cpu or cuda (exit 69 without CUDA)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--dist-backend", o->dist_backend,
                 "collectives between processes when WORLD_SIZE > 1: nccl (CUDA, where segx was "
                 "built with it), gloo (CPU, or CUDA without NCCL), or auto (nccl on cuda when "
                 "available, else gloo)")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  auto* seed_opt = app.add_option("--seed", *seed, "random seed (default: the config's)");
  app.add_option(
      "--vocab", o->vocab,
      "vocabulary JSON from `segx vocab build` ('-': stdin): its classes are the label space, "
      "each dataset trains on its own classes (DaTaSeg co-training); overrides the config's "
      "\"vocabulary\"");
  return [o, seed, seed_opt]() {
    if (seed_opt->count() > 0) o->seed = *seed;
    return run_train(*o);
  };
}

}  // namespace segx::cli
