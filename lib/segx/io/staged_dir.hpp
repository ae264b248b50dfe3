// An output directory filled atomically: files are written into a hidden staging directory beside
// the target and moved in by commit(), so a failed run leaves the target as it was.
#pragma once
#include <filesystem>

namespace segx::io {

class StagedDir {
 public:
  // Checks the target with check_output_dir (refuses a non-empty one unless overwrite); the
  // target is created by commit().
  StagedDir(std::filesystem::path target, bool overwrite);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;

  // Where to write the files now.
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  // Moves every staged file into the target (replacing same-named files) and removes the stage.
  void commit();

 private:
  std::filesystem::path target_, staging_;
  bool committed_ = false;
};

}  // namespace segx::io
