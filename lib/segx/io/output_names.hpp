// Names of the files a run writes into its output folder when the names come from the input
// (an image's file name, a record's image_id, a COCO annotation's file_name): a name that would
// leave the folder is refused, and so is a second input claiming a name another one has, so that
// a stranger's dataset never writes outside the folder and one run never overwrites its own
// output. Writers claim every name before they write anything.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace segx::io {

// `name` when it is a relative path that stays inside the folder ('/'-separated parts, none of
// them empty, "." or ".."; no NUL, no backslash, no control character); else Error(DataError),
// one line naming `source` (the input it came from) and the name.
std::string checked_output_name(const std::string& name, const std::string& source);

class OutputNames {
 public:
  // checked_output_name, then Error(DataError) naming both inputs when another input has
  // claimed the same name in this run. Returns the name.
  const std::string& claim(const std::string& name, const std::string& source);
  bool empty() const { return owners_.empty(); }

 private:
  std::map<std::string, std::string> owners_;  // name -> the input that claimed it
};

// Output names for files read from anywhere, keeping their folders apart: each file's path
// relative to the deepest folder that holds them all, without its extension ("cam0/000001" and
// "cam1/000001" for cam0/000001.jpg and cam1/000001.jpg; just "000001" when every file is in one
// folder). Paths are made absolute and normalised first, without touching the file system.
std::vector<std::string> relative_output_stems(const std::vector<std::string>& files);

}  // namespace segx::io
