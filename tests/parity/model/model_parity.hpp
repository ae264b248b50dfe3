// The model parity checks shared by the CPU parity tests (tests/parity/model) and their CUDA
// run (tests/gpu/model): the official Mask2Former, OneFormer and MaskFormer code's every
// intermediate tensor on the reference fixtures, within 1e-4 of each tensor's scale, and the
// post-processed results. Fixtures are the shared ones (../shared/fixtures/reference-model) and
// those that scripts/gen_model_fixtures.py made into tests/parity/model/data/NAME/.
#pragma once
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "segx/infer/postprocess.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/config.hpp"
#include "segx/model/model.hpp"
#include "segx/model/oneformer_task.hpp"
#include "support/fixtures.hpp"

namespace segx::model::parity {

inline std::filesystem::path repo_fixture_dir(const std::string& sub) {
  return std::filesystem::path(SEGX_SOURCE_DIR) / "tests/parity/model/data" / sub;
}

// A fixture of this repository (gen_model_fixtures.py) rather than of ../shared/fixtures.
inline bool in_repo(const std::string& sub) {
  return std::filesystem::exists(repo_fixture_dir(sub) / "outputs.safetensors");
}

inline std::filesystem::path ref_dir(const std::string& sub) {
  return in_repo(sub) ? repo_fixture_dir(sub) : test::fixtures_root() / "reference-model" / sub;
}

inline ModelConfig fixture_config(const std::string& sub) {
  // The repository's fixtures carry their segx config (model.json, thing classes included).
  if (in_repo(sub)) return load_model_config((repo_fixture_dir(sub) / "model.json").string());
  auto cfg =
      load_model_config(std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/" + sub + ".json");
  auto meta = nlohmann::json::parse(test::read_file(ref_dir(sub) / "meta.json"));
  cfg.thing_classes = meta.at("thing_contiguous_ids").get<std::vector<int>>();
  return cfg;
}

// |got - want| <= 1e-4 * max(1, max |want|): absolute for unit-scale tensors, relative to the
// tensor's magnitude for large ones (float32 rounding of a 50-layer stack with perturbed
// weights differs between BLAS/oneDNN kernels at that level, not per element).
inline void expect_close(const at::Tensor& got, const at::Tensor& want, const std::string& name) {
  ASSERT_EQ(got.sizes(), want.sizes()) << name;
  auto g = got.to(at::kDouble), w = want.to(at::kDouble);
  const double scale = std::max(1.0, w.abs().max().item<double>());
  auto err = (g - w).abs() / scale;
  const double worst = err.max().item<double>();
  EXPECT_LE(worst, 1e-4) << name << ": worst scaled difference " << worst << " ("
                         << (err > 1e-4).sum().item<std::int64_t>() << " of " << err.numel()
                         << " entries)";
}

struct Run {
  io::TensorMap ref;
  Trace trace;
  ModelOutput out;
  ImageBatch batch;
  ModelConfig cfg;
};

// The backbone alone on the fixture's input that is not padded to a multiple of 32 (Swin pads
// it inside), its trace recorded as "backbone_unpadded.*" instead of "backbone.*".
inline void run_unpadded_backbone(const Backbone& backbone, const io::TensorMap& ref,
                                  const at::Device& device, Trace& trace) {
  auto input = ref.find("backbone_unpadded.input");
  if (input == ref.end()) return;
  Trace t;
  backbone(input->second.to(device), &t);
  for (auto& [name, tensor] : t) trace["backbone_unpadded" + name.substr(name.find('.'))] = tensor;
}

// A model to run on a fixture's input instead of its own weights.safetensors and config (one
// imported from another format, which must reproduce the same intermediates).
struct FixtureModel {
  ModelConfig config;
  io::TensorMap weights;
};

// Runs the model on `device` (weights, image and task tokens there); the trace and outputs come
// back on the CPU, beside the reference tensors.
inline Run run_fixture(const std::string& sub, const at::Device& device = at::kCPU,
                       const FixtureModel* imported = nullptr) {
  c10::InferenceMode guard;
  Run r;
  r.ref = io::load_tensors((ref_dir(sub) / "outputs.safetensors").string());
  r.cfg = imported ? imported->config : fixture_config(sub);
  Weights w(imported ? imported->weights
                     : io::load_tensors((ref_dir(sub) / "weights.safetensors").string()),
            "weights.safetensors");
  w.set_device(device);
  auto model = build_model(r.cfg, w);
  w.finish();
  auto batch = model->preprocess({r.ref.at("input.image_u8").to(device)});
  at::Tensor tokens;
  if (r.cfg.is_oneformer() && in_repo(sub)) {
    // The token ids the official tokenizer gave (the shared fixtures check segx's tokenizer).
    tokens = r.ref.at("task.tokens").to(device);
  } else if (r.cfg.is_oneformer()) {
    auto tok = ClipTokenizer::load(
        (test::fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz")
            .string());
    // The task input as segx infer builds it, checked here against the official outputs.
    auto ids = oneformer_task_input(r.cfg, &tok, "panoptic");
    tokens = at::tensor(ids, at::kLong).view({1, -1}).to(device);
  }
  r.out = model->forward(batch.tensor, tokens, &r.trace);
  run_unpadded_backbone(model->backbone(), r.ref, device, r.trace);
  for (auto& [name, t] : r.trace) t = t.cpu();
  r.out.pred_logits = r.out.pred_logits.cpu();
  r.out.pred_masks = r.out.pred_masks.cpu();
  batch.tensor = batch.tensor.cpu();
  r.batch = batch;
  return r;
}

// The backbone alone, built from the fixture's "backbone.*" weights, on the padded input the
// reference model saw and on the unpadded one.
inline Run run_backbone(const std::string& sub, const at::Device& device = at::kCPU) {
  c10::InferenceMode guard;
  Run r;
  r.ref = io::load_tensors((ref_dir(sub) / "outputs.safetensors").string());
  r.cfg = fixture_config(sub);
  io::TensorMap weights;
  for (auto& [name, t] : io::load_tensors((ref_dir(sub) / "weights.safetensors").string()))
    if (name.rfind("backbone.", 0) == 0) weights[name] = t;
  Weights w(std::move(weights), "weights.safetensors");
  w.set_device(device);
  auto backbone = build_backbone(r.cfg, w);
  w.finish();
  (*backbone)(r.ref.at("input.normalized").to(device), &r.trace);
  run_unpadded_backbone(*backbone, r.ref, device, r.trace);
  for (auto& [name, t] : r.trace) t = t.cpu();
  return r;
}

// Compares every reference tensor whose name `wanted` accepts with the run's trace.
inline void compare_trace(const std::string& sub, const Run& r,
                          const std::function<bool(const std::string&)>& wanted) {
  int compared = 0;
  for (const auto& [name, want] : r.ref) {
    if (!wanted(name) || name.rfind("post", 0) == 0 || name.rfind("input.image_u8", 0) == 0 ||
        name == "input.pixel_mean" || name == "input.pixel_std" ||
        name == "backbone_unpadded.input")
      continue;
    auto it = r.trace.find(name);
    if (it == r.trace.end()) {
      ADD_FAILURE() << sub << ": the model did not produce '" << name << "'";
      continue;
    }
    ++compared;
    if (name.find("attn_mask") != std::string::npos) {
      // Equal except entries whose probability lies within 1e-3 of the 0.5 threshold.
      auto prob_name = name.substr(0, name.size() - 9) + "attn_prob";
      auto prob = r.trace.at(prob_name);
      ASSERT_EQ(it->second.sizes(), want.sizes()) << name;
      const at::Tensor differ = it->second.ne(want.to(at::kByte));
      const at::Tensor near = (prob - 0.5).abs() < 1e-3;
      EXPECT_EQ((differ & ~near).sum().item<std::int64_t>(), 0) << sub << " " << name;
      continue;
    }
    if (want.scalar_type() == at::kLong) {
      EXPECT_TRUE(at::equal(it->second, want)) << sub << " " << name;
      continue;
    }
    expect_close(it->second, want, sub + " " + name);
  }
  // Every reference tensor is compared (a missing one fails above); this guards against a
  // fixture that was read empty.
  EXPECT_GE(compared, 5) << "too few reference tensors compared";
}

// Every intermediate of the whole model.
inline void check_model(const std::string& sub, const at::Device& device = at::kCPU,
                        const FixtureModel* imported = nullptr) {
  compare_trace(sub, run_fixture(sub, device, imported), [](const std::string&) { return true; });
}

// Every backbone intermediate ("backbone.*", "backbone_unpadded.*"), with the backbone alone.
inline void check_backbone(const std::string& sub, const at::Device& device = at::kCPU) {
  compare_trace(sub, run_backbone(sub, device),
                [](const std::string& name) { return name.rfind("backbone", 0) == 0; });
}

// End to end: segx's own model outputs through segx's post-processing give the reference
// semantic map, panoptic map and segments, and instances.
inline void check_end_to_end(const std::string& sub, const at::Device& device = at::kCPU,
                             const FixtureModel* imported = nullptr) {
  auto r = run_fixture(sub, device, imported);
  c10::InferenceMode guard;
  const auto o = infer::postprocess_options(r.cfg);
  const auto& t = r.batch.tensor;
  auto res = infer::postprocess(r.out.pred_logits[0], r.out.pred_masks[0], {t.size(2), t.size(3)},
                                r.batch.sizes[0], r.batch.sizes[0], o);
  // The model agrees to ~1e-4, so pixels where two classes (queries) tie that closely may
  // flip: the semantic argmax may differ only where the reference's class scores within 1e-4
  // of ours, and the panoptic map in a handful of pixels (< 0.01%).
  auto [mx, arg] = res.sem_seg.max(0);
  auto want = r.ref.at("post.sem_seg.argmax").to(at::kLong);
  auto at_want = res.sem_seg.gather(0, want.unsqueeze(0))[0];
  auto differ = arg.ne(want);
  EXPECT_EQ((differ & ((mx - at_want) > 1e-4)).sum().item<std::int64_t>(), 0) << sub;
  EXPECT_LE(differ.sum().item<std::int64_t>(), 10) << sub;
  if (r.ref.count("post.panoptic_seg")) {
    EXPECT_LE(res.panoptic.seg.ne(r.ref.at("post.panoptic_seg")).sum().item<std::int64_t>(),
              res.panoptic.seg.numel() / 10000)
        << sub;
    auto meta = nlohmann::json::parse(test::read_file(ref_dir(sub) / "meta.json"));
    const auto& segs = meta.at("post.panoptic_segments_info");
    ASSERT_EQ(res.panoptic.segments.size(), segs.size()) << sub;
    for (std::size_t i = 0; i < segs.size(); ++i)
      EXPECT_EQ(res.panoptic.segments[i].category_id, segs[i].at("category_id").get<int>());
  }
  if (r.ref.count("post.instances.scores")) {
    std::set<std::pair<std::int64_t, std::int64_t>> ours, theirs;
    for (std::int64_t i = 0; i < res.instances.scores.size(0); ++i)
      ours.insert({res.instances.query_index[i].item<std::int64_t>(),
                   res.instances.classes[i].item<std::int64_t>()});
    for (std::int64_t i = 0; i < r.ref.at("post.instances.scores").size(0); ++i)
      theirs.insert({r.ref.at("post.instances.query_index")[i].item<std::int64_t>(),
                     r.ref.at("post.instances.pred_classes")[i].item<std::int64_t>()});
    EXPECT_EQ(ours, theirs) << sub;
  }
}

}  // namespace segx::model::parity
