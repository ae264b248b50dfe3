// Model configuration, weight loading and tokenizer errors: clear Config errors, no crash.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/config.hpp"
#include "segx/model/mask2former.hpp"
#include "segx/model/oneformer_task.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

std::string error_of(const std::function<void()>& f, ErrorKind* kind = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

ModelConfig small_config() {
  return load_model_config(std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json");
}

TEST(ModelConfig, RoundTripsThroughJson) {
  auto c = small_config();
  c.thing_classes = {0, 3};
  auto again = parse_model_config(model_config_to_json(c), "again");
  EXPECT_EQ(model_config_to_json(again), model_config_to_json(c));
  EXPECT_EQ(again.resnet.width_per_group, 8);
  EXPECT_TRUE(again.is_thing(3));
  EXPECT_FALSE(again.is_thing(1));
}

TEST(ModelConfig, BadValuesAreConfigErrorsNamingTheField) {
  ErrorKind kind{};
  auto msg = error_of([] { parse_model_config(R"({"resnet": {"depth": 42}})", "m.json"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("m.json"), std::string::npos);
  EXPECT_NE(msg.find("resnet.depth"), std::string::npos);
  msg = error_of([] { parse_model_config(R"({"num_classes": "many"})", "m.json"); });
  EXPECT_NE(msg.find("num_classes"), std::string::npos);
  msg = error_of([] { parse_model_config("{oops", "m.json"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  msg = error_of([] { parse_model_config(R"({"architecture": "detr"})", "m.json"); });
  EXPECT_NE(msg.find("architecture"), std::string::npos);
}

// The from-scratch OneFormer option (not upstream) survives the model_config.json that training
// writes beside the weights, so that infer builds the same model.
TEST(ModelConfig, OneFormerQueryFeaturesOptionRoundTrips) {
  auto c = parse_model_config(R"({"architecture": "oneformer", "oneformer": {"query_feat": true}})",
                              "m.json");
  auto again = parse_model_config(model_config_to_json(c), "again");
  EXPECT_TRUE(again.oneformer.query_feat);
  EXPECT_FALSE(
      parse_model_config(R"({"architecture": "oneformer"})", "m.json").oneformer.query_feat);
}

// oneformer.task_embedding: upstream's token MLP unless asked; anything but the two values is a
// config error naming the key and what it takes.
TEST(ModelConfig, OneFormerTaskEmbeddingTakesTokenMlpOrLearned) {
  EXPECT_EQ(
      parse_model_config(R"({"architecture": "oneformer"})", "m.json").oneformer.task_embedding,
      "token_mlp");
  try {
    parse_model_config(R"({"architecture": "oneformer", "oneformer": {"task_embedding": "x"}})",
                       "m.json");
    ADD_FAILURE() << "task_embedding \"x\" accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(msg.find("task_embedding"), std::string::npos) << msg;
    EXPECT_NE(msg.find("learned"), std::string::npos) << msg;
  }
}

// Weights of another configuration: missing, mis-shaped and unexpected tensors, by name.
TEST(ModelWeights, MismatchListsMissingMisshapedAndUnexpected) {
  SEGX_REQUIRE_FIXTURES();
  auto path = test::fixtures_root() / "reference-model/small/weights.safetensors";
  auto tensors = io::load_tensors(path.string());
  tensors.erase("backbone.stem.conv1.weight");
  tensors["sem_seg_head.predictor.class_embed.weight"] = at::zeros({10, 64});
  tensors["extra.thing"] = at::zeros({1});
  Weights w(tensors, "w.safetensors");
  auto cfg = small_config();
  ErrorKind kind{};
  auto msg = error_of(
      [&] {
        Mask2Former m(cfg, w);
        w.finish();
      },
      &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("w.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing: backbone.stem.conv1.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mis-shaped: sem_seg_head.predictor.class_embed.weight [10, 64]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("unexpected: extra.thing"), std::string::npos) << msg;
}

TEST(ModelWeights, OneFormerCheckpointIsNotAMask2Former) {
  SEGX_REQUIRE_FIXTURES();
  auto path = test::fixtures_root() / "reference-model/oneformer_small/weights.safetensors";
  ErrorKind kind{};
  auto msg = error_of([&] { load_model(small_config(), path.string()); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("query_feat"), std::string::npos) << msg;
  EXPECT_NE(msg.find("44 unexpected"), std::string::npos) << msg;
}

TEST(ModelWeights, RandomWeightsBuildAnR50AndRunFinite) {
  ModelConfig c;  // defaults: the standard R50 Mask2Former
  c.decoder.num_queries = 10;
  auto w = Weights::random(1);
  Mask2Former m(c, w);
  w.finish();
  auto batch = m.preprocess({at::randint(0, 255, {3, 40, 50}, at::kByte)});
  EXPECT_EQ(batch.tensor.size(2), 64);
  EXPECT_EQ(batch.tensor.size(3), 64);
  auto out = m.forward(batch.tensor);
  EXPECT_EQ(out.pred_logits.sizes(), (std::vector<std::int64_t>{1, 10, 134}));
  EXPECT_EQ(out.pred_masks.sizes(), (std::vector<std::int64_t>{1, 10, 16, 16}));
  EXPECT_TRUE(out.pred_masks.isfinite().all().item<bool>());
}

TEST(ClipTokenizer, EncodesTaskStringsAndRejectsAWrongVocabulary) {
  SEGX_REQUIRE_FIXTURES();
  auto tok = ClipTokenizer::load(
      (test::fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz").string());
  EXPECT_EQ(tok.vocab_size(), 49408);
  EXPECT_EQ(tok.start_token(), 49406);
  EXPECT_EQ(tok.end_token(), 49407);
  EXPECT_EQ(tok.encode("The  task is"), tok.encode("the task is"));
  auto ids = tok.tokenize("the task is panoptic", 8);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids.front(), 49406);
  auto long_ids = tok.tokenize(std::string(200, 'a') + " b c d e f g h i j", 5);
  EXPECT_EQ(long_ids.back(), 49407);
  ErrorKind kind{};
  auto msg = error_of([] { ClipTokenizer::from_merges("#version\na b\nc d\n", "v.txt"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("v.txt"), std::string::npos);
  EXPECT_NE(msg.find("2 merges"), std::string::npos) << msg;
}

// The decoder's task input that training and segx infer both take from oneformer_task_input:
// upstream's prompt tokens are exactly those the official tokenizer gave for the in-repo OneFormer
// reference ("the task is panoptic", task_seq_len); the learned embedding takes the task's row.
TEST(OneFormerTaskInput, IsTheOfficialPromptTokensOrTheLearnedTaskRow) {
  SEGX_REQUIRE_FIXTURES();
  auto tok = ClipTokenizer::load(
      (test::fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz").string());
  const std::string dir = std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/oneformer_swin/";
  auto c = load_model_config(dir + "model.json");
  ASSERT_TRUE(c.is_oneformer());
  ASSERT_TRUE(oneformer_task_needs_tokenizer(c));
  auto official = io::load_tensors(dir + "outputs.safetensors").at("task.tokens").flatten();
  auto ids = oneformer_task_input(c, &tok, "panoptic");
  ASSERT_EQ(static_cast<std::int64_t>(ids.size()), official.numel());
  EXPECT_TRUE(at::equal(at::tensor(ids, at::kLong), official.to(at::kLong)));
  EXPECT_NE(oneformer_task_input(c, &tok, "semantic"), ids);

  ErrorKind kind{};
  auto msg = error_of([&] { oneformer_task_input(c, nullptr, "panoptic"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("tokenizer"), std::string::npos) << msg;
  error_of([&] { oneformer_task_input(c, &tok, "depth"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Usage);

  c.oneformer.task_embedding = "learned";
  EXPECT_FALSE(oneformer_task_needs_tokenizer(c));
  EXPECT_EQ(oneformer_task_input(c, nullptr, "semantic"), std::vector<std::int64_t>{0});
  EXPECT_EQ(oneformer_task_input(c, nullptr, "instance"), std::vector<std::int64_t>{1});
  EXPECT_EQ(oneformer_task_input(c, nullptr, "panoptic"), std::vector<std::int64_t>{2});
}

}  // namespace
}  // namespace segx::model
