// The model sections that training tests share: small enough that a few iterations take seconds
// on 2 cores, and one definition so that a change of the model schema is made in one place.
#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

namespace segx::test {

// ResNet-18 with an 8-channel stem, 32-wide pixel decoder and decoder (feed-forward 32), 8
// queries, 2 decoder layers: for trainer and co-training unit tests of a step or two.
nlohmann::json tiny_model();

// The next size up (16-channel stem, feed-forward 64, 3 decoder layers) with the panoptic test
// thresholds at 0.3/0.5: for command-line runs that train some tens of iterations and validate.
nlohmann::json small_model(int num_queries = 8);

// Writes `config` as dir/train.json (creating dir) and returns that path.
std::filesystem::path write_train_config(const std::filesystem::path& dir,
                                         const nlohmann::json& config);

}  // namespace segx::test
