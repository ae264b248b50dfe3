// An output directory filled atomically: files are written into a hidden staging directory beside
// the target and moved in by commit(), so a failed run leaves the target as it was.
#pragma once
#include <filesystem>
#include <string_view>

#include "segx/io/output_lock.hpp"

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
  // Moves the stage into the target: with one rename(2) when the target is new or empty (a run
  // killed at any moment leaves no folder or the whole one), else file by file (replacing
  // same-named files); then removes the stage.
  void commit();

 private:
  OutputDirLock lock_;  // first: no other run writes the target while this one stages
  std::filesystem::path target_, staging_;
  bool committed_ = false;
};

// The end of every "JSON + folder of PNGs" writer: writes `json` and a newline to `json_path`
// atomically and moves the stage in, the folder before the JSON that names its files (a JSON
// that cannot be created fails before the folder moves).
void commit_json_and_dir(StagedDir& stage, const std::filesystem::path& json_path,
                         std::string_view json);

}  // namespace segx::io
