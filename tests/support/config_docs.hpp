// The check that segx-config(5) documents every key a config reader accepts, shared by the model
// and training config tests.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "segx/core/config_table.hpp"
#include "support/fixtures.hpp"

namespace segx::test {

// man/segx-config.5, generated from the config tables and kept current by the docs test.
inline std::string config_man_page() {
  return read_file(std::string(SEGX_SOURCE_DIR) + "/man/segx-config.5");
}

// Each key of `keys` has its "\fBkey\fR (" entry in `page` and a description.
inline void expect_every_key_documented(const std::string& page,
                                        const std::vector<config::KeyDoc>& keys) {
  for (const auto& k : keys) {
    EXPECT_NE(page.find("\\fB" + k.key + "\\fR ("), std::string::npos) << k.key;
    EXPECT_FALSE(k.description.empty()) << k.key;
  }
}

}  // namespace segx::test
