// Boxes-only, instance-only and semantic-only manifests from a panoptic one.
#include "support/derived_manifests.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/mask/rle.hpp"

namespace segx::test {
namespace fs = std::filesystem;
using nlohmann::json;

void derive_manifest(const fs::path& panoptic, const fs::path& out, DerivedKind kind,
                     const std::string& dataset) {
  std::ifstream in(panoptic);
  std::string line;
  std::getline(in, line);
  auto header = json::parse(line);
  header["dataset"] = dataset;
  std::set<std::int64_t> things;
  json categories = json::array();
  for (const auto& c : header["categories"]) {
    if (c["isthing"] == 1) things.insert(c["id"].get<std::int64_t>());
    if (kind == DerivedKind::Semantic || c["isthing"] == 1) categories.push_back(c);
  }
  header["categories"] = categories;
  const auto base = fs::absolute(panoptic).parent_path();
  const auto labels = out.parent_path() / out.stem();
  if (kind == DerivedKind::Semantic) fs::create_directories(labels);
  std::ofstream o(out);
  o << header.dump() << '\n';
  while (std::getline(in, line)) {
    auto r = json::parse(line);
    r["file_name"] = (base / r["file_name"].get<std::string>()).string();
    const auto ids =
        io::read_panoptic_png((base / r["pan_seg_file_name"].get<std::string>()).string());
    const auto h = static_cast<std::uint32_t>(ids.height),
               w = static_cast<std::uint32_t>(ids.width);
    if (kind == DerivedKind::Semantic) {
      io::Image label;
      label.width = ids.width;
      label.height = ids.height;
      label.channels = 1;
      label.data.assign(ids.ids.size(), 0);
      for (const auto& s : r["segments_info"])
        for (std::size_t p = 0; p < ids.ids.size(); ++p)
          if (ids.ids[p] == s["id"].get<std::uint32_t>())
            label.data[p] = static_cast<std::uint8_t>(s["category_id"].get<int>());
      const auto png = labels / (std::to_string(r["image_id"].get<long>()) + ".png");
      io::write_png(png.string(), label);
      r["sem_seg_file_name"] = fs::absolute(png).string();
    } else {
      json anns = json::array();
      for (const auto& s : r["segments_info"]) {
        if (!things.count(s["category_id"].get<std::int64_t>())) continue;
        json a = {
            {"category_id", s["category_id"]}, {"iscrowd", s["iscrowd"]}, {"bbox", s["bbox"]}};
        if (kind == DerivedKind::Instances) {
          auto rle = mask::encode_label(ids.ids.data(), h, w, s["id"].get<std::uint32_t>());
          a["segmentation"] = {{"size", {h, w}}, {"counts", mask::to_string(rle)}};
        }
        anns.push_back(a);
      }
      r["annotations"] = anns;
    }
    r.erase("pan_seg_file_name");
    r.erase("segments_info");
    o << r.dump() << '\n';
  }
}

}  // namespace segx::test
