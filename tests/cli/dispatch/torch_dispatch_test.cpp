// segx never loads LibTorch itself: LibTorch commands run in segx-torch, found beside segx. Nor
// OpenCV's image codecs: photos are read and written through segx-codecs.so, loaded on use.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

// Runs a shell command and returns its stdout and exit status.
std::pair<std::string, int> shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {"", -1};
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST(TorchDispatch, SegxDoesNotLinkLibTorch) {
  auto [deps, rc] = shell("ldd '" + segx_binary().string() + "'");
  ASSERT_EQ(rc, 0);
  EXPECT_NE(deps.find("libc.so"), std::string::npos) << deps;
  EXPECT_EQ(deps.find("libtorch"), std::string::npos) << deps;
  EXPECT_EQ(deps.find("libc10"), std::string::npos) << deps;
}

TEST(TorchDispatch, SegxDoesNotLinkImageCodecs) {
  auto [deps, rc] = shell("ldd '" + segx_binary().string() + "'");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(deps.find("imgcodecs"), std::string::npos) << deps;
  EXPECT_EQ(deps.find("libgdal"), std::string::npos) << deps;
}

// The plugin beside the program is the one loaded: a broken one there is a clear error (69),
// and the output folder is not created.
TEST(TorchDispatch, BrokenCodecPluginIsUnavailable) {
  auto dir = temp_dir("codecs_plugin");
  fs::copy_file(segx_binary(), dir / "segx", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "segx-codecs.so") << "not a shared library";
  const auto out_dir = dir / "synth";
  auto [out, rc] = shell("'" + (dir / "segx").string() + "' -q convert synth --images 1 --width 32 --height 24 --out-dir '" +
                         out_dir.string() + "' 2>&1");
  EXPECT_EQ(rc, 69) << out;
  EXPECT_NE(out.find((dir / "segx-codecs.so").string()), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(out_dir)) << out;
  // Without images the plugin is never needed.
  auto [no_images, no_images_rc] = shell("'" + (dir / "segx").string() + "' -q convert synth --images 1 --width 32 --height 24 --no-images --out-dir '" +
                                         (dir / "labels").string() + "' 2>&1");
  EXPECT_EQ(no_images_rc, 0) << no_images;
}

TEST(TorchDispatch, VersionStillNamesLibTorch) {
  auto r = run_segx({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(LibTorch "), std::string::npos) << r.out;
}

TEST(TorchDispatch, HelpOfTorchCommandComesFromSegxTorch) {
  for (auto args : {std::vector<std::string>{"infer", "--help"},
                    std::vector<std::string>{"help", "infer"}}) {
    auto r = run_segx(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("--weights"), std::string::npos) << r.out;
  }
}

TEST(TorchDispatch, TorchCommandGetsTheWholeCommandLine) {
  // -v before the command and a missing required option: segx-torch parses it all again.
  auto r = run_segx({"-v", "infer", "image.jpg", "--weights", "w.safetensors"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("segx infer: --config is required"), std::string::npos) << r.err;
}

TEST(TorchDispatch, MissingSegxTorchIsUnavailable) {
  auto dir = temp_dir("dispatch");
  fs::copy_file(segx_binary(), dir / "segx", fs::copy_options::overwrite_existing);
  auto [out, rc] = shell("'" + (dir / "segx").string() + "' infer --help 2>&1");
  EXPECT_EQ(rc, 69) << out;
  EXPECT_NE(out.find("segx-torch"), std::string::npos) << out;
  // Commands without LibTorch still work from the lone binary.
  auto [help, help_rc] = shell("'" + (dir / "segx").string() + "' help eval");
  EXPECT_EQ(help_rc, 0);
  EXPECT_NE(help.find("pq"), std::string::npos) << help;
}

}  // namespace
}  // namespace segx::test
