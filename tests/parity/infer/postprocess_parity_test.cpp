// Post-processing parity with the official Mask2Former/OneFormer code: the reference model's
// outputs and the 30 hand-made queries of postproc.safetensors (stuff merging, void,
// thresholds, overlap rejection, empty masks).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <tuple>

#include "segx/infer/postprocess.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "support/fixtures.hpp"

namespace segx::infer {
namespace {

using nlohmann::json;

std::filesystem::path ref_dir(const std::string& sub) {
  return test::fixtures_root() / "reference-model" / sub;
}

void expect_close(const at::Tensor& got, const at::Tensor& want, const std::string& name,
                  double tol = 1e-4) {
  ASSERT_EQ(got.sizes(), want.sizes()) << name;
  auto g = got.to(at::kDouble), w = want.to(at::kDouble);
  const double scale = std::max(1.0, w.abs().max().item<double>());
  EXPECT_LE(((g - w).abs() / scale).max().item<double>(), tol) << name;
}

void expect_segments(const PanopticResult& got, const json& want, const std::string& name) {
  ASSERT_EQ(got.segments.size(), want.size()) << name;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.segments[i].id, want[i].at("id").get<int>()) << name << " #" << i;
    EXPECT_EQ(got.segments[i].isthing, want[i].at("isthing").get<bool>()) << name << " #" << i;
    EXPECT_EQ(got.segments[i].category_id, want[i].at("category_id").get<int>())
        << name << " #" << i;
  }
}

// Runs the official pipeline on (logits, masks) and compares every post.* reference tensor.
void check(const at::Tensor& logits, const at::Tensor& masks, const io::TensorMap& ref,
           const json& meta, std::array<std::int64_t, 2> padded,
           std::array<std::int64_t, 2> image, std::array<std::int64_t, 2> out, int topk,
           const std::string& tag) {
  c10::InferenceMode guard;
  auto things = meta.at("thing_contiguous_ids").get<std::set<int>>();
  PostprocessOptions o;
  o.num_classes = static_cast<int>(logits.size(-1)) - 1;
  o.object_mask_threshold = meta.at("object_mask_threshold").get<double>();
  o.overlap_threshold = meta.at("overlap_threshold").get<double>();
  o.topk_per_image = topk;
  o.is_thing = [things](int c) { return things.count(c) != 0; };
  auto r = postprocess(logits, masks, padded, image, out, o);

  expect_close(r.mask_pred.slice(1, 0, {}, 4).slice(2, 0, {}, 4), ref.at("post.mask_pred.sub4"),
               tag + " mask_pred");
  auto [mx, arg] = r.sem_seg.max(0);
  expect_close(mx, ref.at("post.sem_seg.max"), tag + " sem_seg.max");
  EXPECT_EQ(arg.to(at::kInt).ne(ref.at("post.sem_seg.argmax")).sum().item<std::int64_t>(), 0)
      << tag << " sem_seg.argmax";
  expect_close(r.sem_seg.sum({1, 2}), ref.at("post.sem_seg.channel_sum"), tag + " channel_sum");
  expect_close(r.sem_seg.slice(1, 0, {}, 8).slice(2, 0, {}, 8), ref.at("post.sem_seg.sub8"),
               tag + " sem_seg.sub8");

  EXPECT_TRUE(at::equal(r.panoptic.seg, ref.at("post.panoptic_seg"))) << tag << " panoptic_seg";
  expect_segments(r.panoptic, meta.at("post.panoptic_segments_info"), tag + " segments");
  auto relaxed = o;
  relaxed.object_mask_threshold = meta.at("post_relaxed").at("object_mask_threshold");
  relaxed.overlap_threshold = meta.at("post_relaxed").at("overlap_threshold");
  auto pr = panoptic_inference(logits, r.mask_pred, relaxed);
  EXPECT_TRUE(at::equal(pr.seg, ref.at("post_relaxed.panoptic_seg"))) << tag << " relaxed";
  expect_segments(pr, meta.at("post_relaxed").at("segments_info"), tag + " relaxed segments");

  // Instances: top-k order is undefined upstream, so compare as a set keyed by (query, class).
  const auto& in = r.instances;
  const auto n = ref.at("post.instances.scores").size(0);
  ASSERT_EQ(in.scores.size(0), n) << tag << " instance count";
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> ours;
  for (std::int64_t i = 0; i < n; ++i)
    ours[{in.query_index[i].item<std::int64_t>(), in.classes[i].item<std::int64_t>()}] = i;
  for (std::int64_t j = 0; j < n; ++j) {
    auto key = std::make_pair(ref.at("post.instances.query_index")[j].item<std::int64_t>(),
                              ref.at("post.instances.pred_classes")[j].item<std::int64_t>());
    auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << tag << " instance (query " << key.first << ", class "
                              << key.second << ") missing";
    const auto i = it->second;
    EXPECT_NEAR(in.scores[i].item<double>(), ref.at("post.instances.scores")[j].item<double>(),
                1e-5)
        << tag << " score of query " << key.first;
    auto want = ref.at("post.instances.pred_masks")[j].to(at::kBool);
    EXPECT_TRUE(at::equal(in.masks[i], want)) << tag << " mask of query " << key.first;
  }
}

TEST(PostprocessParity, HandMadeCases) {
  SEGX_REQUIRE_FIXTURES();
  auto ref = io::load_tensors((ref_dir("small") / "postproc.safetensors").string());
  auto meta = json::parse(test::read_file(ref_dir("small") / "postproc_meta.json"));
  auto hw = [&](const char* k) {
    return std::array<std::int64_t, 2>{meta.at(k)[0].get<std::int64_t>(),
                                       meta.at(k)[1].get<std::int64_t>()};
  };
  check(ref.at("synthetic.pred_logits")[0], ref.at("synthetic.pred_masks")[0], ref, meta,
        hw("padded_hw"), hw("image_hw"), hw("output_hw"), meta.at("test_topk_per_image"),
        "postproc");
}

void check_model_outputs(const std::string& sub) {
  auto ref = io::load_tensors((ref_dir(sub) / "outputs.safetensors").string());
  auto meta = json::parse(test::read_file(ref_dir(sub) / "meta.json"));
  const auto& norm = ref.at("input.normalized");
  std::array<std::int64_t, 2> padded{norm.size(2), norm.size(3)};
  std::array<std::int64_t, 2> image{meta.at("input_hw")[0], meta.at("input_hw")[1]};
  std::array<std::int64_t, 2> out{meta.at("output_hw")[0], meta.at("output_hw")[1]};
  check(ref.at("predictor.pred4.logits")[0], ref.at("predictor.pred4.masks")[0], ref, meta,
        padded, image, out, meta.at("test_topk_per_image"), sub);
}

TEST(PostprocessParity, Mask2FormerSmallOutputs) {
  SEGX_REQUIRE_FIXTURES();
  check_model_outputs("small");
}

TEST(PostprocessParity, OneFormerSmallOutputs) {
  SEGX_REQUIRE_FIXTURES();
  check_model_outputs("oneformer_small");
}

}  // namespace
}  // namespace segx::infer
