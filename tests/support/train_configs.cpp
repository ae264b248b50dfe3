#include "support/train_configs.hpp"

#include <fstream>

namespace segx::test {

using nlohmann::json;

json tiny_model() {
  return {{"architecture", "mask2former"},
          {"resnet",
           {{"depth", 18}, {"stem_out_channels", 8}, {"res2_out_channels", 8}, {"norm", "GN"}}},
          {"pixel_decoder",
           {{"conv_dim", 32},
            {"mask_dim", 32},
            {"transformer_enc_layers", 1},
            {"transformer_nheads", 4},
            {"transformer_dim_feedforward", 32}}},
          {"decoder",
           {{"hidden_dim", 32},
            {"num_queries", 8},
            {"nheads", 4},
            {"dim_feedforward", 32},
            {"dec_layers", 2}}}};
}

json small_model(int num_queries) {
  return {{"resnet",
           {{"depth", 18}, {"stem_out_channels", 16}, {"res2_out_channels", 16}, {"norm", "GN"}}},
          {"pixel_decoder",
           {{"conv_dim", 32},
            {"mask_dim", 32},
            {"transformer_enc_layers", 1},
            {"transformer_nheads", 4},
            {"transformer_dim_feedforward", 64}}},
          {"decoder",
           {{"hidden_dim", 32},
            {"num_queries", num_queries},
            {"nheads", 4},
            {"dim_feedforward", 64},
            {"dec_layers", 3}}},
          {"test", {{"object_mask_threshold", 0.3}, {"overlap_threshold", 0.5}}}};
}

std::filesystem::path write_train_config(const std::filesystem::path& dir, const json& config) {
  std::filesystem::create_directories(dir);
  auto path = dir / "train.json";
  std::ofstream(path) << config.dump(2);
  return path;
}

}  // namespace segx::test
