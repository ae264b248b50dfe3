// The README's model tables name every backbone and pixel decoder that segx's registries build,
// so a new row in a registry without a README row (and its parity status) fails here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "segx/model/backbone/backbone.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

std::string models_section() {
  const auto readme = test::read_file(std::string(SEGX_SOURCE_DIR) + "/README.md");
  const auto begin = readme.find("\n## Models\n");
  if (begin == std::string::npos) return {};
  const auto end = readme.find("\n## ", begin + 1);
  return readme.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

TEST(ReadmeModelTables, NameEveryBackboneInARowOfItsOwn) {
  const auto section = models_section();
  ASSERT_FALSE(section.empty()) << "README.md has no '## Models' section";
  for (const auto& entry : backbone_registry()) {
    const std::string row = std::string("\n| `") + entry.name + "` | ";
    EXPECT_NE(section.find(row), std::string::npos)
        << "no README model-table row for backbone '" << entry.name << "'";
  }
}

TEST(ReadmeModelTables, NameEveryPixelDecoder) {
  const auto section = models_section();
  ASSERT_FALSE(section.empty()) << "README.md has no '## Models' section";
  for (const auto& entry : pixel_decoder_registry())
    EXPECT_NE(section.find(std::string("`") + entry.name + "`"), std::string::npos)
        << "the README's model table does not name pixel decoder '" << entry.name << "'";
}

// The model config parser (segx_core, no LibTorch) checks names against its own lists; a
// registry row it does not list could never be chosen, a name it lists without a row would pass
// the config and fail at build time.
TEST(ModelConfigNames, AreTheRegistriesRowsInOrder) {
  std::vector<std::string> backbones, pixel_decoders;
  for (const auto& entry : backbone_registry()) backbones.emplace_back(entry.name);
  for (const auto& entry : pixel_decoder_registry()) pixel_decoders.emplace_back(entry.name);
  EXPECT_EQ(backbones, backbone_names());
  EXPECT_EQ(pixel_decoders, pixel_decoder_names());
}

}  // namespace
}  // namespace segx::model
