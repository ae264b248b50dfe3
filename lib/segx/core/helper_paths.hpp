// Where segx's helpers (the segx-torch program, the segx-codecs.so plugin) may be, relative to the
// running program: beside it (the build tree), then <prefix>/libexec/segx (the install layout).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace segx {

// `self` is the running program (/proc/self/exe); the candidates in the order to try them.
std::vector<std::filesystem::path> helper_candidates(const std::filesystem::path& self,
                                                     const std::string& file_name);

}  // namespace segx
