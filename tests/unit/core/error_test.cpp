// segx::Error categories map to the documented sysexits codes.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"

namespace segx {

TEST(Error, ExitCodesFollowSysexits) {
  EXPECT_EQ(exit_code(ErrorKind::Usage), 64);
  EXPECT_EQ(exit_code(ErrorKind::DataError), 65);
  EXPECT_EQ(exit_code(ErrorKind::NoInput), 66);
  EXPECT_EQ(exit_code(ErrorKind::Unavailable), 69);
  EXPECT_EQ(exit_code(ErrorKind::CannotCreate), 73);
  EXPECT_EQ(exit_code(ErrorKind::Config), 78);
}

TEST(Error, FailFormatsTheMessage) {
  try {
    fail(ErrorKind::NoInput, "cannot open '{}': {}", "x.json", "No such file or directory");
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NoInput);
    EXPECT_STREQ(e.what(), "cannot open 'x.json': No such file or directory");
  }
}

}  // namespace segx
