// The output files of one run are written into a hidden staging folder inside the output directory
// and moved into place only when all are done: a failure halfway leaves no partial set behind.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace segx::viz {

class StagedOutputs {
 public:
  // Prepares `dir` (io::prepare_output_dir: created, or refused when not empty unless `overwrite`).
  StagedOutputs(std::filesystem::path dir, bool overwrite);
  ~StagedOutputs();
  StagedOutputs(const StagedOutputs&) = delete;
  StagedOutputs& operator=(const StagedOutputs&) = delete;

  // Where to write output `name` (a file name inside dir) until commit().
  std::string staging_path(const std::string& name) const;
  // Moves every staged file into the output directory and removes the staging folder.
  void commit();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, staging_;
  bool created_dir_ = false, committed_ = false;
};

}  // namespace segx::viz
