// Forward-pass speed of the LibTorch Mask2Former/OneFormer with per-stage timings (backbone,
// pixel decoder, decoder, post-processing), against the official code's 0.22 s (small fixture
// config, 180x250) and 6.7 s (standard R50 Mask2Former, 256x320) on the 2-core machine.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdlib>

#include "segx/infer/postprocess.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/mask2former.hpp"
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

BENCHMARK(BM_SmallFixture_180x250)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_R50Standard_256x320)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
