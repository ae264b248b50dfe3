// One run at a time per output folder: a second `segx infer`, `convert`, `visualize` or `train`
// into a folder that another run is writing is refused at once (exit 73) instead of interleaving
// files. The lock is an flock(2) on ".<name>.lock" beside the folder, so it ends with the process
// however the process ends (kill -9 included): no stale lock is ever left to clear by hand.
#pragma once
#include <filesystem>

namespace segx::io {

class OutputDirLock {
 public:
  // Error(CannotCreate) "'DIR' is being written by another segx run (pid N)" when another
  // process holds the lock, or when the lock file cannot be created.
  explicit OutputDirLock(const std::filesystem::path& dir);
  ~OutputDirLock();
  OutputDirLock(const OutputDirLock&) = delete;
  OutputDirLock& operator=(const OutputDirLock&) = delete;

  // The lock file of `dir` (".<name>.lock" in its parent).
  static std::filesystem::path path_for(const std::filesystem::path& dir);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace segx::io
