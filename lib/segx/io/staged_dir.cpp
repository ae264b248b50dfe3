// StagedDir: write beside, move in on success.
#include "segx/io/staged_dir.hpp"

#include <unistd.h>

#include <vector>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::io {
namespace fs = std::filesystem;

StagedDir::StagedDir(fs::path target, bool overwrite) : lock_(target), target_(std::move(target)) {
  // The target itself is created only by commit(): a failed run leaves no empty folder behind.
  check_output_dir(target_, overwrite);
  fs::path parent = fs::absolute(target_).parent_path();
  // Holding the lock, any other stage of this target is a killed run's: remove it.
  const std::string stale = "." + fs::absolute(target_).filename().string() + ".partial-";
  std::error_code list_ec;
  for (fs::directory_iterator it(parent, list_ec), end; !list_ec && it != end;
       it.increment(list_ec))
    if (it->path().filename().string().compare(0, stale.size(), stale) == 0) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  staging_ = parent / ("." + fs::absolute(target_).filename().string() + ".partial-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (!fs::create_directories(staging_, ec) && ec)
    fail(ErrorKind::CannotCreate, "cannot create '{}': {}", staging_.string(), ec.message());
}

StagedDir::~StagedDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedDir::commit() {
  std::error_code ec;
  // A new (or empty) target: one rename(2) moves the whole stage in, so that a run killed at any
  // moment leaves either no folder or the complete one.
  if (!fs::exists(target_, ec) || fs::is_empty(target_, ec)) {
    std::error_code rename_ec;
    fs::rename(staging_, target_, rename_ec);
    if (!rename_ec) {
      committed_ = true;
      return;
    }
  }
  ec.clear();
  // Into a folder with other files (--overwrite): file by file.
  std::vector<std::pair<fs::path, bool>> entries;  // listed first: moving while iterating is unspecified
  for (fs::recursive_directory_iterator it(staging_, ec), end; !ec && it != end; it.increment(ec))
    entries.emplace_back(it->path().lexically_relative(staging_), it->is_directory());
  if (ec) fail(ErrorKind::IoError, "cannot list '{}': {}", staging_.string(), ec.message());
  fs::create_directories(target_, ec);
  for (const auto& [rel, is_dir] : entries) {
    fs::path dest = target_ / rel;
    if (is_dir) fs::create_directories(dest, ec);
    else fs::rename(staging_ / rel, dest, ec);
    if (ec) fail(ErrorKind::CannotCreate, "cannot move '{}' into '{}': {}", rel.string(), target_.string(), ec.message());
  }
  fs::remove_all(staging_, ec);
  committed_ = true;
}

void commit_json_and_dir(StagedDir& stage, const fs::path& json_path, std::string_view json) {
  AtomicOutput out(json_path.string());
  out.stream().write(json.data(), std::streamsize(json.size()));
  out.stream().put('\n');
  stage.commit();
  out.commit();
}

}  // namespace segx::io
