// Staged output folder for segx::viz batch runs.
#include "segx/viz/staged_outputs.hpp"

#include <unistd.h>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace fs = std::filesystem;

namespace segx::viz {

StagedOutputs::StagedOutputs(fs::path dir, bool overwrite) : dir_(std::move(dir)) {
  std::error_code ec;
  created_dir_ = !fs::exists(dir_, ec);
  io::prepare_output_dir(dir_, overwrite);
  staging_ = dir_ / (".segx-staging-" + std::to_string(::getpid()));
  fs::create_directories(staging_, ec);
  if (ec)
    fail(ErrorKind::CannotCreate, "cannot create directory '{}': {}", staging_.string(),
         ec.message());
}

StagedOutputs::~StagedOutputs() {
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (!committed_ && created_dir_) fs::remove(dir_, ec);  // only removes it when empty
}

std::string StagedOutputs::staging_path(const std::string& name) const {
  return (staging_ / name).string();
}

void StagedOutputs::commit() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging_, ec)) {
    fs::path target = dir_ / entry.path().filename();
    fs::rename(entry.path(), target, ec);
    if (ec) fail(ErrorKind::CannotCreate, "cannot write '{}': {}", target.string(), ec.message());
  }
  if (ec)
    fail(ErrorKind::IoError, "cannot read directory '{}': {}", staging_.string(), ec.message());
  committed_ = true;
}

}  // namespace segx::viz
