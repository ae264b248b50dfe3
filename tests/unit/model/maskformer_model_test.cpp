// The original MaskFormer as a trainable module: a gradient reaches every parameter with either
// pixel decoder, the parameters it takes by name (input projections, the pre-norm encoder norms
// that exist even without encoder layers), the from-scratch initialisation of its names, and
// weights written back by name.
#include <gtest/gtest.h>

#include <cmath>

#include "segx/core/error.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/maskformer.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

ModelConfig tiny_config(const std::string& pixel_decoder) {
  ModelConfig c;
  c.architecture = "maskformer";
  c.num_classes = 5;
  c.resnet.depth = 18;
  c.resnet.stem_out_channels = 16;
  c.resnet.res2_out_channels = 16;
  c.resnet.norm = "GN";
  c.pixel_decoder.name = pixel_decoder;
  c.pixel_decoder.conv_dim = 32;
  c.pixel_decoder.mask_dim = 32;
  c.pixel_decoder.transformer_enc_layers = 1;
  c.pixel_decoder.transformer_nheads = 4;
  c.pixel_decoder.transformer_dim_feedforward = 64;
  c.decoder.hidden_dim = 32;
  c.decoder.num_queries = 8;
  c.decoder.nheads = 4;
  c.decoder.dim_feedforward = 64;
  c.decoder.dec_layers = 2;
  return c;
}

// The transformer_encoder pixel decoder feeding the decoder, everything pre-norm, with the
// decoder's own encoder.
ModelConfig tiny_encoder_config() {
  auto c = tiny_config("transformer_encoder");
  c.pixel_decoder.transformer_pre_norm = true;
  c.decoder.pre_norm = true;
  c.decoder.enc_layers = 1;
  c.decoder.transformer_in_feature = "transformer_encoder";
  return c;
}

bool has(const Weights& w, const std::string& name) {
  for (const auto& t : w.named_tensors())
    if (t.name == name) return true;
  return false;
}

at::Tensor find(const Weights& w, const std::string& name) {
  for (const auto& t : w.named_tensors())
    if (t.name == name) return t.tensor;
  ADD_FAILURE() << "no " << name;
  return at::zeros({1});
}

void expect_gradient_everywhere(const ModelConfig& config) {
  auto w = Weights::scratch(3);
  w.set_trainable(true);
  MaskFormer m(config, w);
  w.finish();
  auto out = m.forward(at::randn({2, 3, 64, 96}));
  ASSERT_EQ(out.all.logits.size(), static_cast<std::size_t>(config.decoder.dec_layers));
  EXPECT_EQ(out.pred_masks.sizes(), (std::vector<std::int64_t>{2, 8, 16, 24}));
  EXPECT_EQ(out.pred_logits.sizes(), (std::vector<std::int64_t>{2, 8, 6}));
  auto loss = out.pred_masks.sigmoid().mean();
  for (std::size_t i = 0; i < out.all.logits.size(); ++i)
    loss = loss + out.all.logits[i].logsumexp(-1).mean() + out.all.masks[i].mean();
  loss.backward();
  // Defined, not non-zero: the first decoder layer's self-attention sees zero queries, so its
  // projection weights get exactly zero gradient, as upstream's do.
  int without = 0;
  for (const auto& p : w.named_parameters())
    if (!p.tensor.grad().defined()) {
      ++without;
      ADD_FAILURE() << "no gradient for " << p.name;
    }
  EXPECT_EQ(without, 0);
}

TEST(MaskFormerModel, FpnModelGetsAGradientInEveryParameter) {
  expect_gradient_everywhere(tiny_config("fpn"));
}

TEST(MaskFormerModel, PreNormEncoderModelGetsAGradientInEveryParameter) {
  expect_gradient_everywhere(tiny_encoder_config());
}

TEST(MaskFormerModel, ParametersAreTakenUnderUpstreamsNames) {
  auto w = Weights::scratch(1);
  MaskFormer fpn(tiny_config("fpn"), w);
  const std::string pd = "sem_seg_head.pixel_decoder.", pr = "sem_seg_head.predictor.";
  // res5 (128 channels) is projected to hidden_dim; GroupNorm convolutions have no bias.
  EXPECT_EQ(find(w, pr + "input_proj.weight").sizes(), (std::vector<std::int64_t>{32, 128, 1, 1}));
  EXPECT_EQ(find(w, pd + "layer_4.weight").sizes(), (std::vector<std::int64_t>{32, 128, 3, 3}));
  EXPECT_TRUE(has(w, pd + "adapter_3.norm.weight"));
  EXPECT_FALSE(has(w, pd + "adapter_3.bias"));
  EXPECT_FALSE(has(w, pd + "adapter_4.weight"));  // res5 has no lateral
  EXPECT_TRUE(has(w, pd + "mask_features.bias"));
  EXPECT_TRUE(has(w, pr + "transformer.decoder.layers.1.norm3.weight"));
  EXPECT_TRUE(has(w, pr + "transformer.decoder.norm.weight"));
  EXPECT_FALSE(has(w, pr + "transformer.encoder.norm.weight"));  // post-norm: none
  EXPECT_TRUE(has(w, pr + "mask_embed.layers.2.weight"));

  auto e = Weights::scratch(1);
  MaskFormer enc(tiny_encoder_config(), e);
  // The encoder output has conv_dim = hidden_dim channels: no projection (upstream's empty
  // Sequential); layer_4 reads the encoder's conv_dim channels.
  EXPECT_FALSE(has(e, pr + "input_proj.weight"));
  EXPECT_EQ(find(e, pd + "layer_4.weight").sizes(), (std::vector<std::int64_t>{32, 32, 3, 3}));
  EXPECT_EQ(find(e, pd + "input_proj.weight").sizes(), (std::vector<std::int64_t>{32, 128, 1, 1}));
  EXPECT_TRUE(has(e, pd + "transformer.encoder.layers.0.self_attn.in_proj_weight"));
  EXPECT_TRUE(has(e, pd + "transformer.encoder.norm.weight"));
  EXPECT_TRUE(has(e, pr + "transformer.encoder.layers.0.linear2.weight"));
  EXPECT_TRUE(has(e, pr + "transformer.encoder.norm.weight"));
}

// Upstream builds a pre-norm transformer's final encoder norm whatever ENC_LAYERS is, and applies
// it to the memory: official pre-norm checkpoints with ENC_LAYERS 0 carry it.
TEST(MaskFormerModel, PreNormDecoderWithoutEncoderLayersStillNormalisesItsMemory) {
  auto config = tiny_config("fpn");
  config.decoder.pre_norm = true;
  auto w = Weights::scratch(2);
  MaskFormer m(config, w);
  ASSERT_TRUE(has(w, "sem_seg_head.predictor.transformer.encoder.norm.weight"));
  io::TensorMap map;
  for (const auto& t : w.named_tensors()) map[t.name] = t.tensor.detach().clone();
  auto dir = test::temp_dir("maskformer_prenorm");
  io::save_tensors((dir / "a.safetensors").string(), map);
  map["sem_seg_head.predictor.transformer.encoder.norm.bias"].add_(0.5);
  io::save_tensors((dir / "b.safetensors").string(), map);
  map.erase("sem_seg_head.predictor.transformer.encoder.norm.bias");
  io::save_tensors((dir / "c.safetensors").string(), map);
  at::NoGradGuard g;
  auto x = at::randn({1, 3, 64, 64});
  auto a = load_model(config, (dir / "a.safetensors").string())->forward(x);
  auto b = load_model(config, (dir / "b.safetensors").string())->forward(x);
  EXPECT_FALSE(at::allclose(a.pred_logits, b.pred_logits));
  try {
    load_model(config, (dir / "c.safetensors").string());
    ADD_FAILURE() << "weights without the encoder norm loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transformer.encoder.norm.bias"), std::string::npos)
        << e.what();
  }
}

TEST(MaskFormerModel, ScratchInitFollowsTheUpstreamRules) {
  auto w = Weights::scratch(7);
  MaskFormer m(tiny_encoder_config(), w);
  // Transformer._reset_parameters: xavier_uniform_ on [64, 32]: |w| <= sqrt(6 / 96).
  for (const char* name :
       {"sem_seg_head.predictor.transformer.decoder.layers.0.linear1.weight",
        "sem_seg_head.pixel_decoder.transformer.encoder.layers.0.linear1.weight"}) {
    auto lin = find(w, name);
    EXPECT_LE(lin.abs().max().item<double>(), std::sqrt(6.0 / 96) + 1e-6) << name;
    EXPECT_GT(lin.abs().max().item<double>(), 0.9 * std::sqrt(6.0 / 96)) << name;
  }
  // c2_xavier_fill on the encoder's 1x1 input projection from res5: U(+-sqrt(3 / 128)), unlike
  // Mask2Former's xavier_uniform input projections.
  auto proj = find(w, "sem_seg_head.pixel_decoder.input_proj.weight");
  EXPECT_LE(proj.abs().max().item<double>(), std::sqrt(3.0 / 128) + 1e-6);
  EXPECT_GT(proj.abs().max().item<double>(), 0.9 * std::sqrt(3.0 / 128));
  EXPECT_EQ(find(w, "sem_seg_head.pixel_decoder.input_proj.bias").abs().sum().item<double>(), 0);
  // nn.Embedding: N(0, 1).
  EXPECT_NEAR(find(w, "sem_seg_head.predictor.query_embed.weight").std().item<double>(), 1.0, 0.3);
}

TEST(MaskFormerModel, WrittenWeightsLoadBackByName) {
  auto w = Weights::scratch(5);
  w.set_trainable(true);
  auto config = tiny_encoder_config();
  MaskFormer m(config, w);
  w.finish();
  io::TensorMap map;
  for (const auto& t : w.named_tensors()) map[t.name] = t.tensor.detach();
  auto file = test::temp_dir("maskformer_model") / "w.safetensors";
  io::save_tensors(file.string(), map);
  auto loaded = load_model(config, file.string());
  auto x = at::randn({1, 3, 64, 64});
  at::NoGradGuard g;
  auto a = m.forward(x), b = loaded->forward(x);
  EXPECT_TRUE(at::equal(a.pred_logits, b.pred_logits));
  EXPECT_TRUE(at::equal(a.pred_masks, b.pred_masks));
}

}  // namespace
}  // namespace segx::model
