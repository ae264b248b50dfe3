// Locating the shared fixtures and per-test scratch directories.
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace segx::test {

std::filesystem::path fixtures_root() {
  if (const char* env = std::getenv("SEGX_FIXTURES"); env && *env) {
    std::filesystem::path p(env);
    return std::filesystem::is_directory(p) ? p : std::filesystem::path();
  }
  auto p = std::filesystem::path(SEGX_SOURCE_DIR).parent_path() / "shared" / "fixtures";
  return std::filesystem::is_directory(p) ? p : std::filesystem::path();
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
