// Output names from input records: nothing leaves the folder, nothing is written twice, and
// inputs from several folders keep them apart.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/io/output_names.hpp"

namespace segx::io {
namespace {

ErrorKind refusal(const std::string& name) {
  try {
    checked_output_name(name, "'in.json' line 3");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'in.json' line 3"), std::string::npos) << e.what();
    return e.kind();
  }
  return ErrorKind::Internal;
}

TEST(OutputNames, NamesThatLeaveTheFolderAreRefused) {
  for (const std::string& bad : std::vector<std::string>{
           "", "/etc/passwd", "../x.png", "a/../../x.png", "a/..", "..", "a//b.png", "./a.png",
           "a/./b.png", "a\\..\\b.png", std::string("a\0b.png", 7), "a\nb.png", "a/"})
    EXPECT_EQ(refusal(bad), ErrorKind::DataError) << bad;
  for (const std::string& good :
       std::vector<std::string>{"a.png", "cam0/000001.png", "..a.png", "a..png", "a b/c.png"})
    EXPECT_EQ(checked_output_name(good, "x"), good);
}

TEST(OutputNames, ASecondClaimOfOneNameIsRefusedNamingBothInputs) {
  OutputNames names;
  names.claim("a.png", "'x/a.jpg'");
  names.claim("b.png", "'x/b.jpg'");
  try {
    names.claim("a.png", "'y/a.jpg'");
    ADD_FAILURE() << "claimed twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    const std::string what = e.what();
    EXPECT_NE(what.find("'x/a.jpg' and 'y/a.jpg' would both write 'a.png'"), std::string::npos)
        << what;
  }
}

TEST(OutputNames, RelativeStemsKeepFoldersApart) {
  EXPECT_EQ(relative_output_stems({"/d/cam0/1.jpg", "/d/cam1/1.jpg"}),
            (std::vector<std::string>{"cam0/1", "cam1/1"}));
  EXPECT_EQ(relative_output_stems({"/d/images/1.jpg", "/d/images/2.png"}),
            (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(relative_output_stems({"/d/a/x/1.jpg", "/d/a/2.jpg", "/d/a/x/../3.jpg"}),
            (std::vector<std::string>{"x/1", "2", "3"}));
  EXPECT_EQ(relative_output_stems({"/1.jpg", "/d/2.jpg"}), (std::vector<std::string>{"1", "d/2"}));
  EXPECT_EQ(relative_output_stems({"photo.jpg"}), (std::vector<std::string>{"photo"}));
  EXPECT_TRUE(relative_output_stems({}).empty());
  // The same file twice gives one stem twice: OutputNames refuses the second.
  EXPECT_EQ(relative_output_stems({"/d/1.jpg", "/d/1.jpg"}), (std::vector<std::string>{"1", "1"}));
}

}  // namespace
}  // namespace segx::io
