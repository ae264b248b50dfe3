// Forward-pass speed of the LibTorch models with per-stage timings (backbone, pixel decoder,
// decoder, post-processing). BM_Exported runs a model that scripts/export_official_model.py
// exported from the official code (weights and input image, $SEGX_BENCH_MODEL) for
// scripts/bench_model_forward.sh, which runs the official code beside it.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

#include "segx/infer/postprocess.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/mask2former.hpp"
#include "segx/model/model.hpp"
#include "support/fixtures.hpp"

namespace {

using namespace segx;

void run(benchmark::State& state, const model::ModelConfig& cfg, model::Weights& w, std::int64_t h,
         std::int64_t wd) {
  c10::InferenceMode guard;
  if (const char* t = std::getenv("SEGX_BENCH_THREADS")) at::set_num_threads(std::atoi(t));
  model::Mask2Former m(cfg, w);
  w.finish();
  auto image = at::randint(0, 255, {3, h, wd}, at::TensorOptions().dtype(at::kByte));
  at::Tensor tokens;
  if (cfg.is_oneformer()) tokens = at::zeros({1, cfg.oneformer.task_seq_len}, at::kLong);
  auto o = infer::postprocess_options(cfg);
  double bb = 0, pd = 0, dec = 0, post = 0;
  for (auto _ : state) {
    auto batch = m.preprocess({image});
    model::StageTimes t;
    auto out = m.forward(batch.tensor, tokens, nullptr, &t);
    auto t0 = std::chrono::steady_clock::now();
    auto r = infer::postprocess(out.pred_logits[0], out.pred_masks[0],
                                {batch.tensor.size(2), batch.tensor.size(3)}, batch.sizes[0],
                                batch.sizes[0], o);
    benchmark::DoNotOptimize(r.sem_seg.data_ptr());
    post += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bb += t.backbone;
    pd += t.pixel_decoder;
    dec += t.decoder;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["backbone_s"] = bb / n;
  state.counters["pixel_decoder_s"] = pd / n;
  state.counters["decoder_s"] = dec / n;
  state.counters["forward_s"] = (bb + pd + dec) / n;
  state.counters["postprocess_s"] = post / n;
  state.counters["threads"] = at::get_num_threads();
}

void BM_SmallFixture_180x250(benchmark::State& state) {
  auto cfg = model::load_model_config(std::string(SEGX_SOURCE_DIR) +
                                      "/tests/parity/model/data/small.json");
  auto weights = test::fixtures_root() / "reference-model/small/weights.safetensors";
  auto w = test::fixtures_root().empty()
               ? model::Weights::random(0)
               : model::Weights(io::load_tensors(weights.string()), weights.string());
  cfg.thing_classes.clear();
  for (int i = 0; i < 80; ++i) cfg.thing_classes.push_back(i);
  run(state, cfg, w, 180, 250);
}

void BM_R50Standard_256x320(benchmark::State& state) {
  model::ModelConfig cfg;  // defaults: maskformer2_R50_bs16_50ep (COCO panoptic)
  for (int i = 0; i < 80; ++i) cfg.thing_classes.push_back(i);
  auto w = model::Weights::random(0);
  run(state, cfg, w, 256, 320);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The whole inference of an exported official model on its input, as the official
// model([sample]) does it: normalise and pad, forward, post-processing with every output the
// config has (semantic, panoptic, instance). The fastest iteration's stages are reported, as
// profile_official_forward.py reports the fastest run.
void BM_Exported(benchmark::State& state) {
  c10::InferenceMode guard;
  const char* dir = std::getenv("SEGX_BENCH_MODEL");
  if (!dir) {
    state.SkipWithError("set SEGX_BENCH_MODEL to a folder of export_official_model.py");
    return;
  }
  if (const char* t = std::getenv("SEGX_BENCH_THREADS")) at::set_num_threads(std::atoi(t));
  const std::string root(dir);
  auto cfg = model::load_model_config(root + "/model.json");
  auto m = model::load_model(cfg, root + "/weights.safetensors");
  auto image = io::load_tensors(root + "/input.safetensors").at("input.image_u8");
  const auto o = infer::postprocess_options(cfg);
  std::map<std::string, double> best;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto batch = m->preprocess({image});
    const double pre = seconds_since(t0);
    model::StageTimes t;
    auto out = m->forward(batch.tensor, {}, nullptr, &t);
    const auto t1 = std::chrono::steady_clock::now();
    auto r = infer::postprocess(out.pred_logits[0], out.pred_masks[0],
                                {batch.tensor.size(2), batch.tensor.size(3)}, batch.sizes[0],
                                batch.sizes[0], o);
    benchmark::DoNotOptimize(r.sem_seg.data_ptr());
    const double post = seconds_since(t1), whole = seconds_since(t0);
    if (best.empty() || whole < best["forward_s"])
      best = {{"forward_s", whole},       {"preprocess_s", pre},
              {"backbone_s", t.backbone}, {"pixel_decoder_s", t.pixel_decoder},
              {"decoder_s", t.decoder},   {"postprocess_s", post}};
  }
  for (const auto& [name, seconds] : best) state.counters[name] = seconds;
  state.counters["threads"] = at::get_num_threads();
}

BENCHMARK(BM_Exported)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_SmallFixture_180x250)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_R50Standard_256x320)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
