// Finding and loading the image-codec plugin (see image_codecs.hpp).
#include "segx/io/image_codecs.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "segx/core/error.hpp"
#include "segx/core/helper_paths.hpp"
#include "segx/io/image_codecs_api.hpp"

namespace segx::io {

namespace {

namespace fs = std::filesystem;

// Where the plugin may be: where segx's helpers go (beside the running program, libexec/segx),
// then where this build tree made it (for test and benchmark programs, which live elsewhere in
// the tree).
std::vector<fs::path> plugin_candidates() {
  std::vector<fs::path> paths;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) paths = helper_candidates(self, "segx-codecs.so");
  paths.emplace_back(SEGX_CODECS_BUILD_PATH);
  return paths;
}

const ImageCodecsApi& codecs() {
  static const ImageCodecsApi* api = nullptr;
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    const auto candidates = plugin_candidates();
    for (const auto& path : candidates) {
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        problem = fmt::format("cannot load the image codecs '{}': {}", path.string(), dlerror());
        return;
      }
      using Entry = const ImageCodecsApi* (*)();
      auto entry = reinterpret_cast<Entry>(dlsym(handle, "segx_image_codecs"));
      const ImageCodecsApi* table = entry ? entry() : nullptr;
      if (!table || table->version != kImageCodecsApiVersion) {
        problem = fmt::format("'{}' is not an image-codec plugin of this segx", path.string());
        return;
      }
      api = table;
      return;
    }
    problem = fmt::format("reading and writing photos needs the image codecs, segx-codecs.so: "
                          "not found at '{}' nor '{}'",
                          candidates.front().string(), candidates[candidates.size() > 1 ? 1 : 0].string());
  });
  if (!api) fail(ErrorKind::Unavailable, "{}", problem);
  return *api;
}

}  // namespace

cv::Mat decode_image(const std::vector<unsigned char>& bytes, int flags) {
  cv::Mat out;
  if (!codecs().decode(bytes.data(), bytes.size(), flags, &out)) out.release();
  return out;
}

std::vector<unsigned char> encode_image(const std::string& extension, const cv::Mat& image,
                                        const std::vector<int>& params, const std::string& what) {
  std::vector<unsigned char> out;
  if (!codecs().encode(extension.c_str(), &image, params.data(), params.size(), &out))
    fail(ErrorKind::Internal, "cannot encode the picture for '{}'", what);
  return out;
}

}  // namespace segx::io
