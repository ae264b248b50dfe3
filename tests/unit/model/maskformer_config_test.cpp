// The model config's keys for the original MaskFormer (architecture "maskformer"): its pixel
// decoders, decoder.enc_layers and decoder.transformer_in_feature, the rules between keys (one
// line naming the key, Error(Config), exit 78), and the round trip through model_config.json.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "segx/core/error.hpp"
#include "segx/model/config.hpp"

namespace segx::model {
namespace {

using nlohmann::json;

// The message of the error reading `text`, or "" when it reads; checks that it is a one-line
// config error that exits 78.
std::string error_of(const json& j) {
  try {
    parse_model_config(j.dump(), "m.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_EQ(exit_code(e.kind()), 78);
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  return "";
}

json maskformer(const std::string& pixel_decoder) {
  return {{"architecture", "maskformer"}, {"pixel_decoder", {{"name", pixel_decoder}}}};
}

TEST(MaskFormerConfig, EachArchitectureTakesItsOwnPixelDecoders) {
  EXPECT_EQ(error_of(maskformer("fpn")), "");
  EXPECT_EQ(error_of(maskformer("transformer_encoder")), "");
  EXPECT_EQ(error_of(maskformer("msdeformattn")),
            "'m.json': pixel_decoder.name must be \"fpn\" or \"transformer_encoder\" for "
            "maskformer");
  // The default pixel decoder is Mask2Former's: a maskformer config must name its own.
  EXPECT_NE(error_of({{"architecture", "maskformer"}}).find("pixel_decoder.name"),
            std::string::npos);
  EXPECT_EQ(error_of({{"pixel_decoder", {{"name", "fpn"}}}}),
            "'m.json': pixel_decoder.name must be \"msdeformattn\" for mask2former (fpn and "
            "transformer_encoder are maskformer's)");
  EXPECT_NE(error_of({{"architecture", "oneformer"}, {"pixel_decoder", {{"name", "fpn"}}}})
                .find("for oneformer"),
            std::string::npos);
  EXPECT_EQ(error_of({{"architecture", "maskformr"}}).find("'m.json': architecture must be"), 0u);
}

TEST(MaskFormerConfig, TheEncoderOutputNeedsTheTransformerEncoderPixelDecoder) {
  auto j = maskformer("fpn");
  j["decoder"] = {{"transformer_in_feature", "transformer_encoder"}};
  EXPECT_EQ(error_of(j),
            "'m.json': decoder.transformer_in_feature \"transformer_encoder\" needs "
            "pixel_decoder.name \"transformer_encoder\"");
  j["pixel_decoder"]["name"] = "transformer_encoder";
  EXPECT_EQ(error_of(j), "");
  j["decoder"]["transformer_in_feature"] = "res6";
  EXPECT_EQ(error_of(j),
            "'m.json': decoder.transformer_in_feature must be \"res2\", \"res3\", \"res4\", "
            "\"res5\" or \"transformer_encoder\", not \"res6\"");
}

TEST(MaskFormerConfig, MaskFormersDecoderKeysAreRefusedElsewhere) {
  EXPECT_EQ(error_of({{"decoder", {{"enc_layers", 2}}}}),
            "'m.json': decoder.enc_layers must be 0: only maskformer's decoder has an encoder");
  EXPECT_EQ(error_of({{"decoder", {{"transformer_in_feature", "res4"}}}}),
            "'m.json': decoder.transformer_in_feature is maskformer's (mask2former and oneformer "
            "read the pixel decoder's levels)");
  auto j = maskformer("fpn");
  j["decoder"] = {{"enc_layers", -1}};
  EXPECT_EQ(error_of(j), "'m.json': decoder.enc_layers must be >= 0, not -1");
}

TEST(MaskFormerConfig, PixelDecoderSizesAreCheckedWhereTheyMatter) {
  // fpn has no attention: its width need not divide into heads.
  auto j = maskformer("fpn");
  j["pixel_decoder"]["conv_dim"] = 96;
  j["pixel_decoder"]["transformer_nheads"] = 5;
  j["pixel_decoder"]["norm"] = "";
  EXPECT_EQ(error_of(j), "");
  j["pixel_decoder"]["name"] = "transformer_encoder";
  EXPECT_EQ(error_of(j),
            "'m.json': pixel_decoder.conv_dim must be divisible by "
            "pixel_decoder.transformer_nheads");
  auto s = maskformer("fpn");
  s["pixel_decoder"]["common_stride"] = 8;
  EXPECT_EQ(error_of(s),
            "'m.json': pixel_decoder.common_stride must be 4 for the fpn pixel decoder (its mask "
            "features are res2's)");
}

TEST(MaskFormerConfig, WriteThenReadKeepsMaskFormersKeys) {
  ModelConfig c;
  c.architecture = "maskformer";
  c.pixel_decoder.name = "transformer_encoder";
  c.pixel_decoder.transformer_pre_norm = true;
  c.decoder.enc_layers = 2;
  c.decoder.transformer_in_feature = "transformer_encoder";
  const auto text = model_config_to_json(c);
  const auto again = parse_model_config(text, "again");
  EXPECT_EQ(model_config_to_json(again), text);
  EXPECT_TRUE(again.is_maskformer());
  EXPECT_TRUE(again.pixel_decoder.transformer_pre_norm);
  EXPECT_EQ(again.decoder.enc_layers, 2);
  EXPECT_EQ(again.decoder.transformer_in_feature, "transformer_encoder");
  // Mask2Former's model_config.json does not gain MaskFormer's keys.
  const auto plain = json::parse(model_config_to_json(ModelConfig{}));
  EXPECT_FALSE(plain["decoder"].contains("enc_layers"));
  EXPECT_FALSE(plain["decoder"].contains("transformer_in_feature"));
  EXPECT_FALSE(plain["pixel_decoder"].contains("transformer_pre_norm"));
}

TEST(MaskFormerConfig, TheFixturesConfigsLoad) {
  for (const char* name : {"maskformer_r50_fpn", "maskformer_r50_transformer_encoder",
                           "maskformer_r50_prenorm", "maskformer_r101c"}) {
    auto c = load_model_config(std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/" + name +
                               "/model.json");
    EXPECT_TRUE(c.is_maskformer()) << name;
  }
}

}  // namespace
}  // namespace segx::model
