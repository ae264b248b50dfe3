// The Swin Transformer and ConvNeXt backbones beside their parity tests: the config errors of
// their sections (one line naming the dotted key), their from-scratch initialisation, a gradient
// in every parameter of a tiny Mask2Former on each, stochastic depth in training only, and
// official checkpoints' relative_position_index buffers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "segx/core/error.hpp"
#include "segx/model/backbone/backbone.hpp"
#include "segx/model/config.hpp"
#include "segx/model/mask2former.hpp"

namespace segx::model {
namespace {

using nlohmann::json;

std::string error_of(const std::string& text, ErrorKind* kind = nullptr) {
  try {
    parse_model_config(text, "m.json");
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

TEST(SwinConvNeXtConfig, BadValuesAreOneLineNamingTheDottedKey) {
  ErrorKind kind{};
  EXPECT_EQ(error_of(R"({"backbone": "vit"})", &kind),
            "'m.json': backbone must be \"resnet\", \"swin\" or \"convnext\", not \"vit\"");
  EXPECT_EQ(kind, ErrorKind::Config);
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"backbone": "swin", "swin": {"embed_dim": 96, "num_heads": [3, 5, 12, 24]}})",
       "'m.json': swin.num_heads entry 1 (5) does not divide stage 1's 192 channels"},
      {R"({"backbone": "swin", "swin": {"depths": [2, 2, 6]}})",
       "'m.json': swin.depths must have 4 values, not [2,2,6]"},
      {R"({"backbone": "swin", "swin": {"num_heads": [3, 6, 12, 24, 48]}})",
       "'m.json': swin.num_heads must have 4 values, not [3,6,12,24,48]"},
      {R"({"backbone": "swin", "swin": {"depths": [2, 0, 6, 2]}})",
       "'m.json': swin.depths must be positive, not [2,0,6,2]"},
      {R"({"backbone": "swin", "swin": {"window_size": 0}})",
       "'m.json': swin.window_size must be positive, not 0"},
      {R"({"backbone": "swin", "swin": {"patch_size": 8}})",
       "'m.json': swin.patch_size must be 4: the pixel decoder reads res2 at stride 4"},
      {R"({"backbone": "swin", "swin": {"ape": true, "pretrain_img_size": 2}})",
       "'m.json': swin.pretrain_img_size must be at least swin.patch_size with ape (the "
       "embedding has pretrain_img_size / patch_size positions a side)"},
      {R"({"backbone": "swin", "swin": {"embed_dim": 8, "num_heads": [1, 1, 1, 1], "mlp_ratio": 0.1}})",
       "'m.json': swin.mlp_ratio leaves res2's MLP no hidden unit (int(embed_dim * mlp_ratio) < "
       "1)"},
      {R"({"backbone": "swin", "swin": {"qk_scale": -1}})",
       "'m.json': swin.qk_scale must be >= 0, not -1"},
      {R"({"backbone": "swin", "swin": {"drop_path_rate": 1}})",
       "'m.json': swin.drop_path_rate must be in [0, 0.99], not 1"},
      {R"({"backbone": "convnext", "convnext": {"dims": [96, 192, 384]}})",
       "'m.json': convnext.dims must have 4 values, not [96,192,384]"},
      {R"({"backbone": "convnext", "convnext": {"depths": [3, 3, 9, 3, 3]}})",
       "'m.json': convnext.depths must have 4 values, not [3,3,9,3,3]"},
      {R"({"backbone": "convnext", "convnext": {"layer_scale_init_value": -1e-6}})",
       "'m.json': convnext.layer_scale_init_value must be >= 0, not -1e-06"},
      {R"({"backbone": "convnext", "convnext": {"lsit": 1}})",
       "'m.json': unknown key \"convnext.lsit\""},
  };
  for (const auto& [text, message] : cases) {
    kind = ErrorKind{};
    const auto got = error_of(text, &kind);
    EXPECT_EQ(got, message) << text;
    EXPECT_EQ(kind, ErrorKind::Config) << text;
    EXPECT_EQ(got.find('\n'), std::string::npos) << text;
  }
}

TEST(SwinConvNeXtConfig, SectionsRoundTripAndOnlyTheChosenBackboneIsWritten) {
  ModelConfig c;
  c.backbone = "swin";
  c.swin.embed_dim = 128;
  c.swin.num_heads = {4, 8, 16, 32};
  c.swin.depths = {2, 2, 18, 2};
  c.swin.window_size = 12;
  c.swin.pretrain_img_size = 384;
  c.swin.ape = true;
  c.swin.qk_scale = 0.125;
  auto text = model_config_to_json(c);
  auto written = json::parse(text);
  EXPECT_TRUE(written.contains("swin"));
  EXPECT_FALSE(written.contains("resnet"));
  EXPECT_FALSE(written.contains("convnext"));
  auto again = parse_model_config(text, "again");
  EXPECT_EQ(model_config_to_json(again), text);
  EXPECT_EQ(again.swin.depths, c.swin.depths);
  EXPECT_EQ(again.swin.window_size, 12);
  EXPECT_TRUE(again.swin.ape);

  c.backbone = "convnext";
  c.convnext.dims = {96, 192, 384, 768};
  c.convnext.layer_scale_init_value = 0;
  text = model_config_to_json(c);
  written = json::parse(text);
  EXPECT_TRUE(written.contains("convnext"));
  EXPECT_FALSE(written.contains("swin"));
  again = parse_model_config(text, "again");
  EXPECT_EQ(again.convnext.dims, c.convnext.dims);
  EXPECT_EQ(again.convnext.layer_scale_init_value, 0);
}

ModelConfig tiny_config(const std::string& backbone) {
  ModelConfig c;
  c.num_classes = 5;
  c.backbone = backbone;
  c.swin.embed_dim = 8;
  c.swin.depths = {2, 2, 2, 2};
  c.swin.num_heads = {1, 2, 2, 4};
  c.swin.window_size = 4;
  c.swin.ape = true;  // resized from an 8x8 grid to the input's
  c.swin.pretrain_img_size = 32;
  c.convnext.depths = {1, 1, 2, 1};
  c.convnext.dims = {8, 16, 32, 64};
  c.convnext.layer_scale_init_value = 0.5;
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

class TrainableBackbone : public testing::TestWithParam<const char*> {};

// In training mode (stochastic depth on), every parameter of the tiny model, the Swin bias
// tables and position embedding included, gets a gradient.
TEST_P(TrainableBackbone, EveryParameterGetsAGradient) {
  auto w = Weights::scratch(3);
  w.set_trainable(true);
  Mask2Former m(tiny_config(GetParam()), w);
  w.finish();
  m.set_training(true);
  const auto params = w.named_parameters();
  std::size_t backbone_params = 0;
  for (const auto& p : params) backbone_params += p.name.rfind("backbone.", 0) == 0;
  EXPECT_GT(backbone_params, 20u);
  auto out = m.forward(at::randn({2, 3, 64, 96}));
  auto loss = out.pred_masks.sigmoid().mean();
  for (std::size_t i = 0; i < out.all.logits.size(); ++i)
    loss = loss + out.all.logits[i].logsumexp(-1).mean() + out.all.masks[i].mean();
  loss.backward();
  for (const auto& p : params)
    EXPECT_TRUE(p.tensor.grad().defined()) << "no gradient for " << p.name;
}

// Stochastic depth: outputs vary from run to run in training (each block's rate after the first
// is positive, and kept branches are scaled by 1 / (1 - rate)) and not in inference.
TEST_P(TrainableBackbone, DropPathChangesOutputsInTrainingOnly) {
  auto config = tiny_config(GetParam());
  config.swin.drop_path_rate = config.convnext.drop_path_rate = 0.5;
  auto w = Weights::scratch(4);
  auto backbone = build_backbone(config, w);
  w.finish();
  at::NoGradGuard no_grad;
  const auto x = at::randn({4, 3, 64, 64});
  const auto a = (*backbone)(x, nullptr), b = (*backbone)(x, nullptr);
  for (std::size_t s = 0; s < 4; ++s) EXPECT_TRUE(at::equal(a[s], b[s])) << "res" << s + 2;
  backbone->set_training(true);
  const auto t = (*backbone)(x, nullptr);
  EXPECT_FALSE(at::allclose(t[3], a[3]));
  backbone->set_training(false);
  EXPECT_TRUE(at::equal((*backbone)(x, nullptr)[3], a[3]));
}

INSTANTIATE_TEST_SUITE_P(SwinAndConvNeXt, TrainableBackbone, testing::Values("swin", "convnext"));

at::Tensor find(const Weights& w, const std::string& name) {
  for (const auto& t : w.named_tensors())
    if (t.name == name) return t.tensor;
  ADD_FAILURE() << "no " << name;
  return at::zeros({1});
}

TEST(BackboneScratchInit, SwinLinearsAndBiasTablesAreTruncNormalTheRestFollowsPyTorch) {
  auto config = tiny_config("swin");
  config.swin.embed_dim = 32;
  config.swin.num_heads = {4, 4, 8, 8};
  config.swin.window_size = 7;
  auto w = Weights::scratch(11);
  build_backbone(config, w);
  const std::string block = "backbone.layers.1.blocks.0.";
  for (const char* name :
       {"attn.qkv.weight", "mlp.fc1.weight", "attn.relative_position_bias_table"})
    EXPECT_NEAR(find(w, block + name).std().item<double>(), 0.02, 0.002) << name;
  EXPECT_NEAR(find(w, "backbone.absolute_pos_embed").std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(find(w, "backbone.layers.2.downsample.reduction.weight").std().item<double>(), 0.02,
              0.002);
  EXPECT_EQ(find(w, block + "attn.qkv.bias").abs().sum().item<double>(), 0);
  EXPECT_TRUE(at::equal(find(w, block + "norm1.weight"), at::ones({64})));
  // The patch embedding convolution: PyTorch's default U(+-1/sqrt(fan_in)), fan_in 3 * 4 * 4.
  auto patch = find(w, "backbone.patch_embed.proj.weight");
  EXPECT_LE(patch.abs().max().item<double>(), 1 / std::sqrt(48.0));
  EXPECT_GT(patch.abs().max().item<double>(), 0.9 / std::sqrt(48.0));
}

TEST(BackboneScratchInit, ConvNeXtFollowsPyTorchAndGammaStartsAtTheLayerScale) {
  auto config = tiny_config("convnext");
  auto w = Weights::scratch(12);
  build_backbone(config, w);
  EXPECT_TRUE(at::equal(find(w, "backbone.stages.2.1.gamma"), at::full({32}, 0.5)));
  // PyTorch's default U(+-1/sqrt(fan_in)): the depthwise 7x7 has fan_in 49, pwconv2 4 * 32.
  auto dw = find(w, "backbone.stages.2.0.dwconv.weight");
  EXPECT_LE(dw.abs().max().item<double>(), 1 / 7.0);
  EXPECT_GT(dw.abs().max().item<double>(), 0.9 / 7.0);
  auto pw = find(w, "backbone.stages.2.0.pwconv2.weight");
  EXPECT_LE(pw.abs().max().item<double>(), 1 / std::sqrt(128.0));
  EXPECT_GT(pw.abs().max().item<double>(), 0.9 / std::sqrt(128.0));
  EXPECT_TRUE(at::equal(find(w, "backbone.downsample_layers.1.0.weight"), at::ones({8})));
  // Without layer scale there is no gamma to take.
  config.convnext.layer_scale_init_value = 0;
  auto none = Weights::scratch(12);
  build_backbone(config, none);
  for (const auto& t : none.named_tensors())
    EXPECT_EQ(t.name.find("gamma"), std::string::npos) << t.name;
}

// Upstream keeps WindowAttention's relative_position_index as a buffer, so official checkpoints
// carry it: it loads (not reported as unexpected) when it is Swin's, and a wrong one is named.
TEST(SwinWeights, OfficialRelativePositionIndexBuffersLoadAndAreChecked) {
  auto config = tiny_config("swin");
  auto scratch = Weights::scratch(5);
  build_backbone(config, scratch);
  io::TensorMap map;
  for (const auto& t : scratch.named_tensors()) map[t.name] = t.tensor.detach();
  // Upstream's construction of the index for one window (4 x 4).
  const std::int64_t ws = 4;
  auto coords = at::stack(at::meshgrid({at::arange(ws), at::arange(ws)}, "ij")).flatten(1);
  auto rel = (coords.unsqueeze(2) - coords.unsqueeze(1)).permute({1, 2, 0}).contiguous();
  rel.select(2, 0).add_(ws - 1).mul_(2 * ws - 1);
  rel.select(2, 1).add_(ws - 1);
  const auto index = rel.sum(-1);
  for (int s = 0; s < 4; ++s)
    for (int j = 0; j < 2; ++j)
      map["backbone.layers." + std::to_string(s) + ".blocks." + std::to_string(j) +
          ".attn.relative_position_index"] = index;
  Weights official(map, "official.safetensors");
  build_backbone(config, official);
  EXPECT_NO_THROW(official.finish());

  map["backbone.layers.2.blocks.1.attn.relative_position_index"] = index.flip(0);
  Weights wrong(map, "wrong.safetensors");
  ErrorKind kind{};
  try {
    build_backbone(config, wrong);
    ADD_FAILURE() << "a wrong relative_position_index loaded";
  } catch (const Error& e) {
    kind = e.kind();
    EXPECT_EQ(std::string(e.what()),
              "'wrong.safetensors': backbone.layers.2.blocks.1.attn.relative_position_index is "
              "not Swin's relative position index for window 4");
  }
  EXPECT_EQ(kind, ErrorKind::Config);
}

}  // namespace
}  // namespace segx::model
