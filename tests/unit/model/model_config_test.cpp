// The model config read from its table: unknown keys, types, the deprecated test.*_on keys, the
// schema version, the round trip through model_config.json, and segx-config(5) covering it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/model/config.hpp"
#include "support/config_docs.hpp"
#include "support/fixtures.hpp"

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

TEST(ModelConfigTable, UnknownKeysAreConfigErrorsNamingTheDottedKey) {
  ErrorKind kind{};
  EXPECT_EQ(error_of(R"({"num_clases": 3})", &kind),
            "'m.json': unknown key \"num_clases\" (did you mean \"num_classes\"?)");
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_EQ(error_of(R"({"resnet": {"dpth": 18}})", &kind),
            "'m.json': unknown key \"resnet.dpth\" (did you mean \"resnet.depth\"?)");
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_EQ(error_of(R"({"test": {"something_else": 1}})"),
            "'m.json': unknown key \"test.something_else\"");
}

TEST(ModelConfigTable, WrongTypesAndRangesNameTheKeyAndTheExpectedType) {
  ErrorKind kind{};
  EXPECT_EQ(error_of(R"({"decoder": {"num_queries": 10.5}})", &kind),
            "'m.json': decoder.num_queries must be an integer, not 10.5");
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_EQ(error_of(R"({"decoder": {"pre_norm": "yes"}})"),
            "'m.json': decoder.pre_norm must be a boolean, not \"yes\"");
  EXPECT_EQ(error_of(R"({"pixel_mean": [1, 2]})"),
            "'m.json': pixel_mean must have 3 values, not [1,2]");
  EXPECT_EQ(error_of(R"({"test": {"overlap_threshold": 2}})"),
            "'m.json': test.overlap_threshold must be in [0, 1], not 2");
  EXPECT_EQ(error_of(R"({"resnet": "deep"})"), "'m.json': resnet must be an object");
  // A rule between keys names the key too.
  EXPECT_NE(error_of(R"({"decoder": {"hidden_dim": 30, "nheads": 4}})").find("decoder.hidden_dim"),
            std::string::npos);
}

// The keys that nothing read: an old model_config.json that has them loads, with one warning
// line per key, and they are no longer written.
TEST(ModelConfigTable, DeprecatedTestSwitchesWarnAndLoad) {
  testing::internal::CaptureStderr();
  auto c = parse_model_config(
      R"({"test": {"semantic_on": false, "instance_on": true, "panoptic_on": true,
                   "topk_per_image": 7}})",
      "old.json");
  const auto err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(c.test.topk_per_image, 7);
  for (const char* key : {"test.semantic_on", "test.instance_on", "test.panoptic_on"})
    EXPECT_NE(err.find(std::string("'old.json': ") + key + " is no longer read"), std::string::npos)
        << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 3) << err;
  const auto written = json::parse(model_config_to_json(c));
  EXPECT_FALSE(written["test"].contains("semantic_on"));
  // The parity test data, written before the keys went, still loads.
  EXPECT_NO_THROW(
      load_model_config(std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json"));
}

TEST(ModelConfigTable, SchemaVersionIsWrittenAndANewerOneIsRefused) {
  ModelConfig c;
  EXPECT_EQ(json::parse(model_config_to_json(c))["schema_version"], kModelConfigVersion);
  EXPECT_NO_THROW(parse_model_config("{}", "m.json"));  // written before there was a version
  EXPECT_NO_THROW(parse_model_config(R"({"schema_version": 1})", "m.json"));
  ErrorKind kind{};
  EXPECT_NE(
      error_of(R"({"schema_version": 2})", &kind).find("'m.json': schema_version is 2, newer"),
      std::string::npos);
  EXPECT_EQ(kind, ErrorKind::Config);
}

TEST(ModelConfigTable, WriteThenReadGivesTheSameConfig) {
  ModelConfig c;
  c.architecture = "oneformer";
  c.num_classes = 3;
  c.resnet.depth = 18;
  c.resnet.norm = "GN";
  c.pixel_decoder.transformer_in_features = {"res4", "res5"};
  c.decoder.num_queries = 9;
  c.oneformer.query_feat = true;
  c.oneformer.task_embedding = "learned";
  c.classifier.type = "embedding";
  c.classifier.embedding_dim = 16;
  c.classifier.embeddings = "e.safetensors";
  c.test.min_size = 240;
  c.test.max_size = 320;
  c.thing_classes = {0, 2};
  c.category_ids = {1, 5, 9};
  c.class_names = {"a", "b", "c"};
  const auto text = model_config_to_json(c);
  const auto again = parse_model_config(text, "again");
  EXPECT_EQ(model_config_to_json(again), text);
  EXPECT_EQ(again.resnet.depth, 18);
  EXPECT_EQ(again.pixel_decoder.transformer_in_features, c.pixel_decoder.transformer_in_features);
  EXPECT_TRUE(again.oneformer.query_feat);
  EXPECT_EQ(again.oneformer.task_embedding, "learned");
  EXPECT_EQ(again.classifier.embeddings, "e.safetensors");
  EXPECT_EQ(again.test.max_size, 320);
  EXPECT_EQ(again.category_ids, c.category_ids);
  EXPECT_EQ(again.class_names, c.class_names);
}

// segx-config(5), generated from the tables and kept current by the docs test, lists every key
// that the model config reader accepts, with its default.
TEST(ModelConfigTable, EveryKeyIsInTheManPage) {
  const auto page = test::config_man_page();
  const auto keys = model_config_keys();
  ASSERT_GT(keys.size(), 50u);
  test::expect_every_key_documented(page, keys);
  EXPECT_NE(page.find("\\fBresnet.depth\\fR (integer; default 50; 18, 34, 50, 101 or 152)"),
            std::string::npos);
}

}  // namespace
}  // namespace segx::model
