#include "segx/core/helper_paths.hpp"

namespace segx {

std::vector<std::filesystem::path> helper_candidates(const std::filesystem::path& self,
                                                     const std::string& file_name) {
  // SEGX_LIBEXEC_RELDIR is libexec/segx relative to bin, set by CMake.
  const auto dir = self.parent_path();
  return {dir / file_name, (dir / SEGX_LIBEXEC_RELDIR / file_name).lexically_normal()};
}

}  // namespace segx
