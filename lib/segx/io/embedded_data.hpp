// Data files built into the library (lib/embed_files.cmake writes them into a generated source):
// detectron2's config defaults per repository (lib/segx/io/detectron2_defaults/*.json, made by
// scripts/gen_detectron2_defaults.py) and segx's category lists (datasets/*.json), so that segx
// needs neither Python nor its source tree at run time.
#pragma once
#include <string_view>
#include <vector>

namespace segx::io {

// The built-in file of that name ("detectron2_defaults/mask2former.json",
// "datasets/ade20k.json"), or an empty view when there is none.
std::string_view embedded_file(std::string_view name);
// The names of every built-in file.
std::vector<std::string_view> embedded_files();

}  // namespace segx::io
