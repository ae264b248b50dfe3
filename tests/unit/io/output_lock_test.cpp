// One run per output folder: a second lock (another run) is refused naming the holder's pid, the
// lock ends with its holder, and StagedDir takes it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include "segx/core/error.hpp"
#include "segx/io/output_lock.hpp"
#include "segx/io/staged_dir.hpp"
#include "support/fixtures.hpp"

namespace segx::io {
namespace {

namespace fs = std::filesystem;

void expect_refused(const fs::path& dir) {
  try {
    OutputDirLock second(dir);
    ADD_FAILURE() << "locked twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::CannotCreate);
    const std::string what = e.what();
    EXPECT_NE(
        what.find("is being written by another segx run (pid " + std::to_string(::getpid()) + ")"),
        std::string::npos)
        << what;
  }
}

TEST(OutputDirLock, ASecondLockIsRefusedUntilTheFirstEnds) {
  const auto dir = test::temp_dir("output_lock") / "out";
  {
    OutputDirLock first(dir);
    EXPECT_TRUE(fs::exists(OutputDirLock::path_for(dir)));
    expect_refused(dir);
    expect_refused(dir.string() + "/");  // the same folder spelled with a slash
  }
  EXPECT_FALSE(fs::exists(OutputDirLock::path_for(dir)));
  EXPECT_NO_THROW(OutputDirLock again(dir));
}

TEST(OutputDirLock, StagedDirHoldsTheLockForItsRun) {
  const auto dir = test::temp_dir("output_lock_staged") / "out";
  std::optional<StagedDir> stage;
  stage.emplace(dir, false);
  expect_refused(dir);
  EXPECT_THROW(StagedDir(dir, false), Error);
  stage->commit();
  stage.reset();
  EXPECT_NO_THROW(OutputDirLock again(dir));
}

}  // namespace
}  // namespace segx::io
