// Metrics, checkpoint and evaluation hooks.
#include "segx/train/trainer_hooks.hpp"

#include <nlohmann/json.hpp>

#include <set>

#include "segx/core/log.hpp"
#include "segx/train/evaluation.hpp"

namespace segx::train {
namespace {

double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds);
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

void LossWindow::add(const LossTerms& losses) {
  for (const auto& [name, value] : losses.terms) {
    sums_[name].first += value.item<double>();
    ++sums_[name].second;
  }
  total_ += losses.total.item<double>();
  ++iterations_;
}

nlohmann::ordered_json LossWindow::summary() const {
  nlohmann::ordered_json j;
  j["iterations"] = iterations_;
  j["total_loss"] = mean_total();
  for (const auto& [name, sum] : sums_) j[name] = sum.first / sum.second;
  return j;
}

void MetricsWriter::before_train(Trainer& t) {
  std::set<Task> tasks;
  for (const auto& d : t.datasets()) tasks.insert(d.spec.tasks.begin(), d.spec.tasks.end());
  several_tasks_ = tasks.size() > 1;
}

void MetricsWriter::after_step(Trainer& t, const StepContext& ctx) {
  window_.add(*ctx.losses);
  if (t.datasets().size() > 1) per_dataset_[ctx.batch->dataset].add(*ctx.losses);
  if (several_tasks_) {
    const auto& images = ctx.losses->image_losses;
    const auto& tasks = ctx.batch->tasks;
    for (std::size_t i = 0; i < images.size() && i < tasks.size(); ++i) {
      auto& [count, sum] = per_task_[task_name(tasks[i])];
      ++count;
      sum += images[i] * static_cast<double>(images.size());
    }
  }
  time_ += ctx.time;
  data_time_ += ctx.data_time;
  // The first iteration's time (allocations, thread start-up) is left out of the ETA.
  if (ctx.iteration > 0) {
    elapsed_ += ctx.time;
    ++timed_;
  }
  const auto done = t.iteration();
  const auto period = t.config().solver.log_period;
  if (!(done % period == 0 || done == t.max_iter() || done == 1)) return;
  const int count = window_.iterations();
  if (t.dist().is_main()) {
    nlohmann::ordered_json j;
    j["iteration"] = ctx.iteration;
    const auto summary = window_.summary();
    for (auto it = summary.begin(); it != summary.end(); ++it)
      if (it.key() != "iterations") j[it.key()] = it.value();
    j["lr"] = t.current_lr();
    j["time"] = time_ / count;
    j["data_time"] = data_time_ / count;
    j["max_rss_mb"] = peak_rss_mb();
    for (const auto& [d, window] : per_dataset_) {
      const auto& spec = t.datasets()[static_cast<std::size_t>(d)].spec;
      j["datasets"][spec.name.empty() ? spec.path : spec.name] = window.summary();
    }
    for (const auto& [task, stats] : per_task_)
      j["tasks"][task] = {{"images", stats.first}, {"loss", stats.second / stats.first}};
    t.write_metrics(j.dump());
    const double per_iter = timed_ > 0 ? elapsed_ / static_cast<double>(timed_) : time_ / count;
    log::info("iter {}/{}  loss {:.3f}  lr {:.2e}  {:.3f} s/it (data {:.3f})  eta {}", done,
              t.max_iter(), window_.mean_total(), t.current_lr(), time_ / count,
              data_time_ / count, clock_text(per_iter * static_cast<double>(t.max_iter() - done)));
  }
  window_ = LossWindow();
  per_dataset_.clear();
  per_task_.clear();
  time_ = data_time_ = 0;
}

void PeriodicCheckpointer::after_step(Trainer& t, const StepContext&) {
  if (t.iteration() % t.config().solver.checkpoint_period == 0) {
    auto path = t.save_checkpoint();
    if (!path.empty()) log::debug("checkpoint '{}'", path.string());
  }
}

void PanopticEvalHook::after_step(Trainer& t, const StepContext&) {
  const auto period = t.config().solver.eval_period;
  if (period > 0 && t.iteration() % period == 0 && t.iteration() < t.max_iter()) evaluate(t);
}

void PanopticEvalHook::after_train(Trainer& t) {
  if (t.iteration() == t.max_iter() && last_ != t.iteration()) evaluate(t);
}

void PanopticEvalHook::evaluate(Trainer& t) {
  last_ = t.iteration();
  if (!t.dist().is_main()) return;
  t.model().set_training(false);  // no stochastic depth while scoring
  auto r = evaluate_panoptic(t.model(), t.model_config(), t.classes(), validation_,
                             t.task_tokens(Task::Panoptic));
  t.model().set_training(true);
  const auto& s = r.summary;
  nlohmann::ordered_json j;
  j["iteration"] = t.iteration() - 1;
  j["eval"] = {
      {"dataset", validation_.spec.name.empty() ? validation_.spec.path : validation_.spec.name},
      {"images", r.images},
      {"PQ", 100 * s.all.pq},
      {"SQ", 100 * s.all.sq},
      {"RQ", 100 * s.all.rq},
      {"PQ_th", 100 * s.things.pq},
      {"PQ_st", 100 * s.stuff.pq},
      {"mIoU", r.miou},
      {"mask_AP", r.mask_ap},
      {"mask_AP50", r.mask_ap50},
      {"seconds", r.seconds}};
  t.write_metrics(j.dump());
  log::info(
      "eval at iter {}: PQ {:.2f}  SQ {:.2f}  RQ {:.2f}  (things {:.2f}, stuff {:.2f})  mIoU "
      "{:.2f}  mask AP {:.2f} (AP50 {:.2f}) on {} images in {:.1f} s",
      t.iteration(), 100 * s.all.pq, 100 * s.all.sq, 100 * s.all.rq, 100 * s.things.pq,
      100 * s.stuff.pq, r.miou, r.mask_ap, r.mask_ap50, r.images, r.seconds);
}

}  // namespace segx::train
