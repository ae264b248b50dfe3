// Locating the shared fixtures and per-test scratch directories.
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace segx::test {

namespace {

// A fixtures tree holds the reference tools' printed numbers; a folder without them is a mistake.
bool looks_like_fixtures(const std::filesystem::path& p) {
  return std::filesystem::is_directory(p / "expected");
}

}  // namespace

FixturesLookup locate_fixtures() {
  if (const char* env = std::getenv("SEGX_FIXTURES"); env && *env) {
    std::filesystem::path p(env);
    if (!looks_like_fixtures(p))
      return {{}, "SEGX_FIXTURES=" + p.string() + " is not a fixtures folder (no expected/ in it)"};
    return {p, {}};
  }
  auto p = std::filesystem::path(SEGX_SOURCE_DIR).parent_path() / "shared" / "fixtures";
  if (!std::filesystem::exists(p)) return {};
  if (!looks_like_fixtures(p)) return {{}, p.string() + " exists but is not a fixtures folder"};
  return {p, {}};
}

std::filesystem::path fixtures_root() {
  auto lookup = locate_fixtures();
  if (!lookup.error.empty()) ADD_FAILURE() << lookup.error;
  return lookup.root;
}

std::filesystem::path temp_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = tag;
  if (info) name += std::string("_") + info->test_suite_name() + "_" + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  auto dir = std::filesystem::temp_directory_path() / "segx-tests" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace segx::test
