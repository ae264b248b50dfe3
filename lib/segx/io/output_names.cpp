// Output names from input records: checked, claimed once per run (see output_names.hpp).
#include "segx/io/output_names.hpp"

#include <filesystem>

#include "segx/core/error.hpp"

namespace segx::io {
namespace fs = std::filesystem;

namespace {

// The name as a message shows it: control characters escaped, long names cut.
std::string printable(const std::string& name) {
  std::string out;
  for (unsigned char c : name.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return name.size() > 200 ? out + "..." : out;
}

}  // namespace

std::string checked_output_name(const std::string& name, const std::string& source) {
  auto refuse = [&](const char* why) {
    fail(ErrorKind::DataError, "{}: output name '{}' {}", source, printable(name), why);
  };
  if (name.empty()) refuse("is empty");
  if (name.front() == '/') refuse("is an absolute path: it would leave the output folder");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) refuse("has a control character");
    if (c == '\\') refuse("has a backslash (a folder separator elsewhere)");
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('/', start), name.size());
    const auto part = name.substr(start, end - start);
    if (part == "..") refuse("has a '..' part: it would leave the output folder");
    if (part.empty() || part == ".") refuse("has an empty or '.' part");
    start = end + 1;
  }
  return name;
}

const std::string& OutputNames::claim(const std::string& name, const std::string& source) {
  checked_output_name(name, source);
  auto [it, added] = owners_.emplace(name, source);
  if (!added)
    fail(ErrorKind::DataError,
         "{} and {} would both write '{}': one run never overwrites its own output", it->second,
         source, printable(name));
  return it->first;
}

std::vector<std::string> relative_output_stems(const std::vector<std::string>& files) {
  std::vector<fs::path> paths;
  paths.reserve(files.size());
  for (const auto& f : files) paths.push_back(fs::absolute(f).lexically_normal());
  std::vector<std::string> stems;
  if (paths.empty()) return stems;
  // The deepest common folder: the first file's folder, shortened until it holds every file.
  fs::path common = paths[0].parent_path();
  for (const auto& p : paths) {
    while (!common.empty()) {
      auto rel = p.parent_path().lexically_relative(common);
      if (!rel.empty() && *rel.begin() != "..") break;
      if (common == common.root_path()) break;
      common = common.parent_path();
    }
  }
  for (const auto& p : paths) {
    auto rel = p.lexically_relative(common);
    stems.push_back((rel.parent_path() / rel.stem()).generic_string());
  }
  return stems;
}

}  // namespace segx::io
