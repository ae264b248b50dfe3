// Locating ../shared/fixtures (or $SEGX_FIXTURES) and skipping cleanly where it is absent.
#pragma once
#include <filesystem>
#include <string>

namespace segx::test {

// The fixtures root, or an empty path when neither $SEGX_FIXTURES nor ../shared/fixtures exist.
std::filesystem::path fixtures_root();

// A fresh, empty temporary directory unique to the calling test.
std::filesystem::path temp_dir(const std::string& tag);

// Reads a whole file into a string (throws on failure).
std::string read_file(const std::filesystem::path& path);

}  // namespace segx::test

// Skips the current test with a one-line reason when the shared fixtures are missing.
#define SEGX_REQUIRE_FIXTURES()                                                          \
  do {                                                                                   \
    if (::segx::test::fixtures_root().empty())                                           \
      GTEST_SKIP() << "no fixtures: set SEGX_FIXTURES or provide ../shared/fixtures";    \
  } while (0)
