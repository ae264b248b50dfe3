// The model as a trainable module: parameters collected by name with gradients, the seeded
// from-scratch initialisation, the GroupNorm backbone option, and weights written back by name.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/init.hpp"
#include "segx/model/mask2former.hpp"
#include "segx/model/oneformer_task.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

ModelConfig tiny_config(const std::string& norm) {
  ModelConfig c;
  c.num_classes = 5;
  c.resnet.depth = 18;
  c.resnet.stem_out_channels = 16;
  c.resnet.res2_out_channels = 16;
  c.resnet.norm = norm;
  c.pixel_decoder.conv_dim = 32;
  c.pixel_decoder.mask_dim = 32;
  c.pixel_decoder.transformer_enc_layers = 1;
  c.pixel_decoder.transformer_nheads = 4;
  c.pixel_decoder.transformer_dim_feedforward = 64;
  c.decoder.hidden_dim = 32;
  c.decoder.num_queries = 8;
  c.decoder.nheads = 4;
  c.decoder.dim_feedforward = 64;
  c.decoder.dec_layers = 3;
  return c;
}

bool contains(const std::vector<NamedTensor>& list, const std::string& name) {
  for (const auto& t : list)
    if (t.name == name) return true;
  return false;
}

TEST(TrainableModel, FrozenBnStatisticsAreBuffersAndTheRestRequiresGrad) {
  auto w = Weights::scratch(3);
  w.set_trainable(true);
  Mask2Former m(tiny_config("FrozenBN"), w);
  w.finish();
  const auto params = w.named_parameters();
  EXPECT_TRUE(contains(params, "backbone.stem.conv1.weight"));
  EXPECT_FALSE(contains(params, "backbone.stem.conv1.norm.running_var"));
  EXPECT_FALSE(contains(params, "backbone.stem.conv1.norm.weight"));
  EXPECT_TRUE(contains(w.named_tensors(), "backbone.stem.conv1.norm.running_var"));
  EXPECT_TRUE(contains(params, "sem_seg_head.predictor.query_feat.weight"));
  for (const auto& p : params) EXPECT_TRUE(p.tensor.requires_grad()) << p.name;
  EXPECT_LT(params.size(), w.named_tensors().size());
}

TEST(TrainableModel, GroupNormBackboneTrainsItsNormsAndEveryParameterGetsAGradient) {
  auto w = Weights::scratch(3);
  w.set_trainable(true);
  Mask2Former m(tiny_config("GN"), w);
  w.finish();
  const auto params = w.named_parameters();
  EXPECT_TRUE(contains(params, "backbone.stem.conv1.norm.weight"));
  EXPECT_FALSE(contains(w.named_tensors(), "backbone.stem.conv1.norm.running_mean"));
  auto x = at::randn({2, 3, 64, 64});
  auto out = m.forward(x);
  auto loss = out.pred_masks.sigmoid().mean();
  for (std::size_t i = 0; i < out.all.logits.size(); ++i)
    loss = loss + out.all.logits[i].logsumexp(-1).mean() + out.all.masks[i].mean();
  loss.backward();
  int without = 0;
  for (const auto& p : params)
    if (!p.tensor.grad().defined()) {
      ++without;
      ADD_FAILURE() << "no gradient for " << p.name;
    }
  EXPECT_EQ(without, 0);
}

TEST(TrainableModel, ScratchInitIsSeededAndFollowsTheUpstreamRules) {
  auto a = Weights::scratch(7), b = Weights::scratch(7), c = Weights::scratch(8);
  Mask2Former ma(tiny_config("GN"), a), mb(tiny_config("GN"), b), mc(tiny_config("GN"), c);
  const auto& ta = a.named_tensors();
  const auto& tb = b.named_tensors();
  const auto& tc = c.named_tensors();
  ASSERT_EQ(ta.size(), tb.size());
  bool any_differs = false;
  for (std::size_t i = 0; i < ta.size(); ++i) {
    EXPECT_TRUE(at::equal(ta[i].tensor, tb[i].tensor)) << ta[i].name;
    any_differs = any_differs || !at::equal(ta[i].tensor, tc[i].tensor);
  }
  EXPECT_TRUE(any_differs);
  auto find = [&](const std::string& name) {
    for (const auto& t : ta)
      if (t.name == name) return t.tensor;
    ADD_FAILURE() << "no " << name;
    return at::Tensor();
  };
  // c2_msra_fill: N(0, sqrt(2 / fan_out)); fan_out of the 7x7 stem = 16 * 49.
  auto stem = find("backbone.stem.conv1.weight");
  EXPECT_NEAR(stem.std().item<double>(), std::sqrt(2.0 / (16 * 49)), 0.01);
  EXPECT_TRUE(at::equal(find("backbone.stem.conv1.norm.weight"), at::ones({16})));
  EXPECT_EQ(find("sem_seg_head.predictor.transformer_ffn_layers.0.linear1.bias")
                .abs()
                .sum()
                .item<double>(),
            0);
  // xavier_uniform on [64, 32]: |w| <= sqrt(6 / 96).
  auto lin = find("sem_seg_head.predictor.transformer_ffn_layers.0.linear1.weight");
  EXPECT_LE(lin.abs().max().item<double>(), std::sqrt(6.0 / 96) + 1e-6);
  EXPECT_GT(lin.abs().max().item<double>(), 0.9 * std::sqrt(6.0 / 96));
  // Deformable attention: zero offset weights, the ring as bias (4 heads: axes), p+1 away.
  const std::string msda = "sem_seg_head.pixel_decoder.transformer.encoder.layers.0.self_attn.";
  EXPECT_EQ(find(msda + "sampling_offsets.weight").abs().sum().item<double>(), 0);
  auto ring = find(msda + "sampling_offsets.bias").view({4, 3, 4, 2});
  EXPECT_FLOAT_EQ(ring[0][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(ring[0][2][3][0].item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(ring[1][0][1][1].item<float>(), 2.0f);
  EXPECT_TRUE(at::equal(ring, sampling_offsets_ring(4, 3, 4).view({4, 3, 4, 2})));
}

TEST(TrainableModel, WrittenWeightsLoadBackByName) {
  auto w = Weights::scratch(5);
  w.set_trainable(true);
  auto config = tiny_config("GN");
  Mask2Former m(config, w);
  w.finish();
  {
    at::NoGradGuard g;
    for (const auto& p : w.named_parameters()) p.tensor.add_(0.01);  // as if trained
  }
  io::TensorMap map;
  for (const auto& t : w.named_tensors()) map[t.name] = t.tensor.detach();
  auto file = test::temp_dir("model_training") / "w.safetensors";
  io::save_tensors(file.string(), map);
  auto loaded = load_model(config, file.string());
  auto x = at::randn({1, 3, 64, 64});
  at::NoGradGuard g;
  auto a = m.forward(x), b = loaded->forward(x);
  EXPECT_TRUE(at::equal(a.pred_logits, b.pred_logits));
  EXPECT_TRUE(at::equal(a.pred_masks, b.pred_masks));
}

// oneformer.query_feat (not upstream): the learned per-query content is one more tensor under
// Mask2Former's name, added to the class transformer's output. With it zero the model computes
// what the upstream model computes on the same weights.
TEST(TrainableModel, OneFormerQueryFeaturesAreAddedToTheClassTransformersQueries) {
  auto with_content = tiny_config("GN");
  with_content.architecture = "oneformer";
  with_content.oneformer.task_seq_len = 8;
  with_content.oneformer.query_feat = true;
  auto upstream = with_content;
  upstream.oneformer.query_feat = false;

  auto w = Weights::scratch(9);
  Mask2Former m(with_content, w);
  w.finish();
  io::TensorMap map;
  for (const auto& t : w.named_tensors()) map[t.name] = t.tensor.detach().clone();
  ASSERT_TRUE(map.count("sem_seg_head.predictor.query_feat.weight"));
  map["sem_seg_head.predictor.query_feat.weight"].zero_();
  const auto dir = test::temp_dir("oneformer_query_feat");
  io::save_tensors((dir / "zero.safetensors").string(), map);
  map.erase("sem_seg_head.predictor.query_feat.weight");
  io::save_tensors((dir / "upstream.safetensors").string(), map);

  auto x = at::randn({1, 3, 64, 64});
  auto tokens = at::arange(8, at::kLong).view({1, 8});
  at::NoGradGuard g;
  auto zero = load_model(with_content, (dir / "zero.safetensors").string())->forward(x, tokens);
  auto plain = load_model(upstream, (dir / "upstream.safetensors").string())->forward(x, tokens);
  EXPECT_TRUE(at::allclose(zero.pred_logits, plain.pred_logits));
  EXPECT_TRUE(at::allclose(zero.pred_masks, plain.pred_masks));
  auto learned = m.forward(x, tokens);  // N(0, 1) content: other queries
  EXPECT_FALSE(at::allclose(learned.pred_logits, plain.pred_logits));
  // Official checkpoints have no query_feat: asking for it names the missing tensor.
  try {
    load_model(with_content, (dir / "upstream.safetensors").string());
    ADD_FAILURE() << "weights without query_feat loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("query_feat"), std::string::npos) << e.what();
  }
}

// oneformer.task_embedding "learned" (not upstream): the task token is row
// oneformer_task_index(task) of task_embed.weight instead of the token MLP's output. The row is
// exactly what the decoder receives; each task conditions the queries differently; the input is
// one task index per image; weights without the tensor (every official checkpoint) name it.
TEST(TrainableModel, OneFormerLearnedTaskEmbeddingIsOneRowPerTask) {
  auto learned = tiny_config("GN");
  learned.architecture = "oneformer";
  learned.oneformer.task_embedding = "learned";
  auto w = Weights::scratch(4);
  Mask2Former m(learned, w);
  w.finish();
  io::TensorMap map;
  for (const auto& t : w.named_tensors()) map[t.name] = t.tensor.detach().clone();
  ASSERT_TRUE(map.count("task_embed.weight"));
  EXPECT_EQ(map["task_embed.weight"].size(0), 3);
  EXPECT_EQ(map["task_embed.weight"].size(1), 32);
  EXPECT_FALSE(map.count("task_mlp.layers.0.weight"));
  EXPECT_EQ(oneformer_task_index("semantic"), 0);
  EXPECT_EQ(oneformer_task_index("instance"), 1);
  EXPECT_EQ(oneformer_task_index("panoptic"), 2);
  EXPECT_THROW(oneformer_task_index("depth"), Error);

  auto x = at::randn({2, 3, 64, 64});
  at::NoGradGuard g;
  Trace trace;
  auto panoptic_and_semantic = at::tensor({2, 0}, at::kLong).view({2, 1});
  auto out = m.forward(x, panoptic_and_semantic, &trace);
  ASSERT_TRUE(trace.count("task.mlp_out"));
  EXPECT_TRUE(at::equal(trace.at("task.mlp_out"),
                        map["task_embed.weight"].index_select(0, at::tensor({2, 0}, at::kLong))));
  auto both_panoptic = m.forward(x, at::full({2, 1}, 2, at::kLong));
  EXPECT_TRUE(at::equal(out.pred_logits[0], both_panoptic.pred_logits[0]));
  EXPECT_FALSE(at::allclose(out.pred_logits[1], both_panoptic.pred_logits[1]));

  for (const auto& bad : {at::arange(8, at::kLong).view({1, 8}).expand({2, 8}),  // prompt tokens
                          at::full({2, 1}, 3, at::kLong), at::full({2, 1}, 0.0f)})
    EXPECT_THROW(m.forward(x, bad), Error);

  map.erase("task_embed.weight");
  const auto dir = test::temp_dir("oneformer_task_embed");
  io::save_tensors((dir / "without.safetensors").string(), map);
  try {
    load_model(learned, (dir / "without.safetensors").string());
    ADD_FAILURE() << "weights without task_embed loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("task_embed.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace segx::model
