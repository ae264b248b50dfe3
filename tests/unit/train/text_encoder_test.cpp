// The OneFormer text encoder against a direct TextTransformer built from LibTorch's functional ops
// (full 77-token sequences, additive -inf causal mask, nn.MultiheadAttention's own forward).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "segx/core/error.hpp"
#include "segx/train/text_encoder.hpp"
#include "support/fixtures.hpp"

namespace segx::train {
namespace {
namespace F = torch::nn::functional;

TextEncoderConfig small_config() {
  TextEncoderConfig c;
  c.context_length = 12;
  c.width = 128;  // two heads
  c.layers = 2;
  c.vocab_size = 50;
  c.proj_num_layers = 2;
  c.n_ctx = 3;
  c.hidden_dim = 128;
  return c;
}

// Token rows as the tokenizer writes them: start (48), words, end (49, the largest id), zeros.
torch::Tensor tokens_of(const std::vector<std::vector<std::int64_t>>& words, int length) {
  auto t = torch::zeros({static_cast<std::int64_t>(words.size()), length}, torch::kLong);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::int64_t k = 0;
    t[i][k++] = 48;
    for (auto w : words[i]) t[i][k++] = w;
    t[i][k] = 49;
  }
  return t;
}

// TextTransformer.forward written out with F:: ops over the whole context (sequence-first).
torch::Tensor reference_encode(const io::TensorMap& p, const TextEncoderConfig& c,
                               const torch::Tensor& tokens) {
  const int64_t w = c.width, len = c.context_length;
  auto x = F::embedding(tokens, p.at("text_encoder.token_embedding.weight")) +
           p.at("text_encoder.positional_embedding");
  x = x.permute({1, 0, 2});  // NLD -> LND
  auto mask = torch::full({len, len}, -std::numeric_limits<float>::infinity()).triu(1);
  auto ln = [&](const torch::Tensor& v, const std::string& name) {
    return F::layer_norm(v, F::LayerNormFuncOptions({w}).weight(p.at(name + ".weight")).bias(p.at(name + ".bias")).eps(1e-5));
  };
  for (int i = 0; i < c.layers; ++i) {
    const std::string b = "text_encoder.transformer.resblocks." + std::to_string(i) + ".";
    auto h = ln(x, b + "ln_1");
    auto opts = F::MultiheadAttentionForwardFuncOptions(
                    w, w / 64, p.at(b + "attn.in_proj_weight"), p.at(b + "attn.in_proj_bias"), {}, {},
                    false, 0.0, p.at(b + "attn.out_proj.weight"), p.at(b + "attn.out_proj.bias"))
                    .attn_mask(mask)
                    .need_weights(false)
                    .training(false);
    x = x + std::get<0>(F::multi_head_attention_forward(h, h, h, opts));
    auto m = F::linear(ln(x, b + "ln_2"), p.at(b + "mlp.c_fc.weight"), p.at(b + "mlp.c_fc.bias"));
    m = m * torch::sigmoid(1.702 * m);
    x = x + F::linear(m, p.at(b + "mlp.c_proj.weight"), p.at(b + "mlp.c_proj.bias"));
  }
  x = ln(x.permute({1, 0, 2}), "text_encoder.ln_final");
  return x.index({torch::arange(tokens.size(0)), tokens.argmax(-1)});
}

class TextEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    params = initial_text_encoder_parameters(config, 7);
    // Upstream's init leaves biases and norms trivial; perturb them so the test sees them.
    torch::manual_seed(1);
    for (auto& [name, t] : params)
      if (t.dim() == 1) t = t + 0.1 * torch::randn_like(t);
    model::Weights w(params, "test");
    encoder = TextEncoder(config, w);
    w.finish();
  }
  TextEncoderConfig config = small_config();
  io::TensorMap params;
  TextEncoder encoder;
};

TEST_F(TextEncoderTest, EncodeEqualsDirectFullLengthTransformer) {
  // Rows 0 and 3 repeat (deduplicated inside), row 2 has the longest text.
  auto tokens = tokens_of({{3, 4, 5}, {7}, {1, 2, 3, 4, 5, 6, 7, 8}, {3, 4, 5}, {}}, config.context_length);
  auto got = encoder.encode(tokens);
  auto expected = reference_encode(params, config, tokens);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{5, config.width}));
  EXPECT_LT((got - expected).abs().max().item<float>(), 2e-5);
  EXPECT_TRUE(torch::equal(got[0], got[3]));
  EXPECT_FALSE(torch::allclose(got[0], got[1]));
}

TEST_F(TextEncoderTest, TokensAfterEndOfTextDoNotMatter) {
  auto a = tokens_of({{3, 4}}, config.context_length);
  auto b = a.clone();
  b[0][6] = 11;  // after the end token: hidden by the causal mask
  auto c = a.clone();
  c[0][1] = 12;  // before it: changes the feature
  EXPECT_LT((encoder.encode(a) - encoder.encode(b)).abs().max().item<float>(), 1e-5);
  EXPECT_GT((encoder.encode(a) - encoder.encode(c)).abs().max().item<float>(), 1e-3);
}

TEST_F(TextEncoderTest, ForwardProjectsTextsAndAppendsPromptContext) {
  auto flat = tokens_of({{3}, {4, 5}, {3}, {6}}, config.context_length);
  auto tokens = flat.view({2, 2, config.context_length});
  auto out = encoder(tokens);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 2 + config.n_ctx, config.hidden_dim}));
  // text_projector: Linear, ReLU, Linear on the encoded feature.
  auto feats = reference_encode(params, config, flat);
  auto h = F::linear(feats, params.at("text_projector.layers.0.weight"), params.at("text_projector.layers.0.bias")).relu();
  auto proj = F::linear(h, params.at("text_projector.layers.1.weight"), params.at("text_projector.layers.1.bias"));
  EXPECT_LT((out.narrow(1, 0, 2).reshape({4, -1}) - proj).abs().max().item<float>(), 2e-5);
  for (int b = 0; b < 2; ++b)
    EXPECT_TRUE(torch::equal(out[b].narrow(0, 2, config.n_ctx), params.at("prompt_ctx.weight")));
}

TEST_F(TextEncoderTest, NamedParametersCoverTheCheckpointAndCarryGradients) {
  std::set<std::string> names;
  for (auto& [name, t] : encoder.named_parameters()) {
    names.insert(name);
    ASSERT_TRUE(params.count(name)) << name;
    EXPECT_EQ(t.sizes(), params.at(name).sizes()) << name;
    t.requires_grad_(true);
  }
  EXPECT_EQ(names.size(), params.size());
  auto tokens = tokens_of({{3, 4}, {5}}, config.context_length).view({1, 2, config.context_length});
  encoder(tokens).pow(2).sum().backward();
  for (auto& [name, t] : encoder.named_parameters()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    if (name.find("embedding") == std::string::npos) {
      EXPECT_GT(t.grad().abs().sum().item<float>(), 0) << name;
    }
  }
  // Only rows of tokens that occur get embedding gradients.
  auto g = encoder.named_parameters()[0].second.grad();
  EXPECT_GT(g[4].abs().sum().item<float>(), 0);
  EXPECT_EQ(g[20].abs().sum().item<float>(), 0);
}

TEST(TextEncoderInit, FollowsUpstreamScalesAndSeed) {
  TextEncoderConfig c = small_config();
  c.vocab_size = 4000;
  auto a = initial_text_encoder_parameters(c, 3);
  auto b = initial_text_encoder_parameters(c, 3);
  for (auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  EXPECT_NEAR(a.at("text_encoder.token_embedding.weight").std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(a.at("text_encoder.transformer.resblocks.0.attn.in_proj_weight").std().item<double>(),
              1 / std::sqrt(128.0), 0.005);
  EXPECT_NEAR(a.at("text_encoder.transformer.resblocks.1.mlp.c_proj.weight").std().item<double>(),
              1 / std::sqrt(128.0) / 2, 0.003);
  EXPECT_LE(a.at("text_projector.layers.0.bias").abs().max().item<double>(), 1 / std::sqrt(128.0));
  EXPECT_EQ(a.at("text_encoder.transformer.resblocks.0.attn.in_proj_bias").abs().sum().item<double>(), 0);
}

TEST(TextEncoderConfigCheck, RejectsShapesUpstreamCannotBuild) {
  TextEncoderConfig c = small_config();
  c.width = 96;
  EXPECT_THROW(validate(c), Error);
  c = small_config();
  c.hidden_dim = 64;  // prompt context rows (width 128) cannot sit beside 64-wide texts
  try {
    validate(c);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("hidden_dim"), std::string::npos) << e.what();
  }
  c.n_ctx = 0;
  EXPECT_NO_THROW(validate(c));
}

TEST(TokenizeTexts, StacksTokenizerRowsPerImage) {
  SEGX_REQUIRE_FIXTURES();
  auto tok = model::ClipTokenizer::load(
      (test::fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz").string());
  std::vector<std::vector<std::string>> texts = {{"a photo with a person", "a panoptic photo"},
                                                 {"a panoptic photo", "a photo with a tree"}};
  auto t = tokenize_texts(tok, texts, 77);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 2, 77}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      auto row = tok.tokenize(texts[i][j], 77);
      EXPECT_TRUE(torch::equal(t[i][j], torch::tensor(row, torch::kLong))) << texts[i][j];
    }
  EXPECT_EQ(t[0][0][0].item<int64_t>(), tok.start_token());
  EXPECT_EQ(t[0][0].argmax().item<int64_t>(), 6);  // sot a photo with a person eot
}

}  // namespace
}  // namespace segx::train
