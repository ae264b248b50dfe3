// Locating ../shared/fixtures (or $SEGX_FIXTURES) and skipping cleanly where it is absent.
#pragma once
#include <filesystem>
#include <string>

namespace segx::test {

// Where the shared fixtures are, or why they cannot be used.
struct FixturesLookup {
  std::filesystem::path root;  // empty when absent or broken
  std::string error;           // non-empty when they were asked for but are not usable
};

// $SEGX_FIXTURES when set (an error if it is not a fixtures folder: a typo must not turn the
// parity tests into skips), else ../shared/fixtures beside the source tree when present.
FixturesLookup locate_fixtures();

// The fixtures root, or an empty path when they are absent. Records a test failure when
// $SEGX_FIXTURES names something that is not a fixtures folder.
std::filesystem::path fixtures_root();

// A fresh, empty temporary directory unique to the calling test.
std::filesystem::path temp_dir(const std::string& tag);

// Reads a whole file into a string (throws on failure).
std::string read_file(const std::filesystem::path& path);

}  // namespace segx::test

// Skips the current test with a one-line reason when the shared fixtures are absent, and fails it
// when $SEGX_FIXTURES is wrong.
#define SEGX_REQUIRE_FIXTURES()                                                       \
  do {                                                                                \
    const auto segx_fixtures_ = ::segx::test::locate_fixtures();                      \
    if (!segx_fixtures_.error.empty()) FAIL() << segx_fixtures_.error;                \
    if (segx_fixtures_.root.empty())                                                  \
      GTEST_SKIP() << "no fixtures: set SEGX_FIXTURES or provide ../shared/fixtures"; \
  } while (0)
