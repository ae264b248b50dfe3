// The training command's body.
#include "segx/train/run.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/train/co_training.hpp"
#include "segx/train/trainer.hpp"
#include "segx/train/trainer_hooks.hpp"

namespace segx::train {

void request_stop(int signal) {
  Trainer::request_stop(signal);
}

int run_training(const TrainRunOptions& o) {
  auto config = load_train_config(o.config, o.overrides);
  if (!o.output.empty()) config.output = o.output;
  if (config.output.empty())
    fail(ErrorKind::Usage, "no output folder: give --output or \"output\" in '{}'", o.config);
  if (o.seed) config.seed = *o.seed;
  // Threads: one chunk of the batch per thread, each running LibTorch single-threaded (see
  // TrainerOptions::chunks); OpenBLAS's own pool would only spin against them.
  const int threads = o.threads > 0 ? o.threads : at::get_num_threads();
  if (o.device == "cpu" && threads > 1) {
    at::set_num_threads(1);
    if (auto* set =
            reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set(1);
  } else if (o.threads > 0) {
    at::set_num_threads(o.threads);
  }
  auto data = load_train_data(config, o.vocab.empty() ? config.vocabulary : o.vocab);
  auto dist = DistributedContext::from_environment(o.device == "cuda", parse_collective_backend(o.dist_backend));
  TrainerOptions to;
  to.output_dir = config.output;
  to.resume = o.resume;
  to.stop_at = o.max_iter;
  to.device = o.device;
  to.chunks = threads;
  auto validation = std::move(data.validation);
  Trainer trainer(config, std::move(data.classes), std::move(data.datasets), to, dist);
  // DaTaSeg: each iteration's logits restricted to its dataset's label space.
  if (auto transform = label_space_transform(trainer.datasets())) {
    trainer.set_logits_transform(std::move(transform));
    log::info("class logits restricted to each dataset's label space");
  }
  trainer.add_hook(std::make_unique<MetricsWriter>());
  trainer.add_hook(std::make_unique<PeriodicCheckpointer>());
  if (validation)
    trainer.add_hook(std::make_unique<PanopticEvalHook>(std::move(*validation)));
  if (trainer.iteration() >= trainer.max_iter()) {
    log::info("'{}' has finished its {} iterations already", config.output, trainer.max_iter());
    return 0;
  }
  log::info("training {} iterations from {} on {} ({} threads, {} process{}{})", trainer.max_iter(),
            trainer.iteration(), o.device, threads, dist.world_size(),
            dist.world_size() > 1 ? "es over " : "", dist.world_size() > 1 ? dist.backend_name() : "");
  const auto status = trainer.train();
  if (status == TrainStatus::Interrupted) {
    log::warn("stopped by signal {} after iteration {}; continue with --resume",
              Trainer::stop_signal(), trainer.iteration());
    return 128 + Trainer::stop_signal();
  }
  if (status == TrainStatus::Stopped)
    log::info("stopped at iteration {} of {} (--max-iter); continue with --resume",
              trainer.iteration(), trainer.max_iter());
  else
    log::info("done: '{}/model_final.safetensors' + model_config.json", config.output);
  return 0;
}

}  // namespace segx::train
