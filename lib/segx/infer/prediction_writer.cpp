// PredictionWriter: prediction records, panoptic/semantic PNGs and COCO JSON files.
#include "segx/infer/prediction_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <ostream>

#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/rle.hpp"

namespace segx::infer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// COCO panoptic categories for panoptic.json: the header's.
json coco_categories(const json& header) {
  json cats = json::array();
  for (const auto& c : header.at("categories")) {
    json x = {{"id", c.at("id")},
              {"name", c.value("name", std::string())},
              {"isthing", c.value("isthing", 0)}};
    if (c.contains("supercategory")) x["supercategory"] = c["supercategory"];
    if (c.contains("color")) x["color"] = c["color"];
    cats.push_back(std::move(x));
  }
  return cats;
}

json rle_json(const mask::Rle& rle, int h, int w) {
  return {{"size", {h, w}}, {"counts", mask::to_string(rle)}};
}

json instance_json(const PredictedInstance& ins, int h, int w) {
  auto rle =
      mask::encode_row_major(ins.mask.data(), static_cast<uint32_t>(h), static_cast<uint32_t>(w));
  auto box = mask::to_bbox(rle);
  return {{"category_id", ins.category_id},
          {"score", ins.score},
          {"bbox", {box[0], box[1], box[2], box[3]}},
          {"segmentation", rle_json(rle, h, w)}};
}

json segments_json(const Prediction& p) {
  json segs = json::array();
  for (const auto& s : p.segments)
    segs.push_back({{"id", s.id},
                    {"category_id", s.category_id},
                    {"iscrowd", 0},
                    {"isthing", s.isthing},
                    {"score", s.score},
                    {"area", s.area}});
  return segs;
}

// The segments with their COCO RLE: `segx eval pq` reads the records without any PNG (and
// without an output folder there is none).
json segments_with_rle(json segs, const Prediction& p) {
  const auto masks = mask::encode_labels(p.panoptic.data(), static_cast<uint32_t>(p.height),
                                         static_cast<uint32_t>(p.width));
  for (auto& seg : segs) {
    const auto id = seg.at("id").get<std::uint32_t>();
    auto it = std::lower_bound(masks.begin(), masks.end(), id,
                               [](const auto& m, std::uint32_t v) { return m.first < v; });
    if (it != masks.end() && it->first == id)  // encode_labels sorts by id
      seg["segmentation"] = rle_json(it->second, p.height, p.width);
  }
  return segs;
}

// Category ids per pixel as a grey PNG: 8-bit, or 16-bit when an id does not fit.
io::Image semantic_image(const Prediction& p) {
  io::Image im;
  im.width = p.width;
  im.height = p.height;
  im.channels = 1;
  const bool wide =
      std::any_of(p.semantic.begin(), p.semantic.end(), [](std::uint16_t v) { return v > 255; });
  im.bit_depth = wide ? 16 : 8;
  im.data.resize(p.semantic.size() * (wide ? 2 : 1));
  for (std::size_t i = 0; i < p.semantic.size(); ++i) {
    if (wide)
      im.data16()[i] = p.semantic[i];
    else
      im.data[i] = static_cast<uint8_t>(p.semantic[i]);
  }
  return im;
}

}  // namespace

json prediction_header(const json& input_header, const std::vector<PredictedCategory>& classes) {
  if (!input_header.is_null()) {
    json h = input_header;
    h["dataset"] = h.value("dataset", std::string("segx")) + "_pred";
    h.erase("root");
    return h;
  }
  json cats = json::array();
  for (const auto& c : classes)
    cats.push_back({{"id", c.id}, {"name", c.name}, {"isthing", c.isthing ? 1 : 0}});
  return {
      {"type", "header"}, {"segx_manifest", 1}, {"dataset", "segx_infer"}, {"categories", cats}};
}

struct PredictionWriter::Impl {
  std::ostream& manifest;
  json header;
  PredictionWriterOptions options;
  std::optional<io::StagedDir> stage;
  json panoptic_images = json::array(), panoptic_annotations = json::array(),
       results = json::array();
  io::OutputNames names;  // every PNG written once

  Impl(std::ostream& m, json h, PredictionWriterOptions o)
      : manifest(m), header(std::move(h)), options(std::move(o)) {}

  bool has_dir() const { return stage.has_value(); }
  // The staged path of an output file, its folders created (names may keep input folders).
  fs::path staged(const std::string& name) const {
    auto path = stage->path() / options.task / name;
    fs::create_directories(path.parent_path());
    return path;
  }
  std::string final_path(const std::string& name) const {
    return (fs::path(options.out_dir) / options.task / name).string();
  }
};

PredictionWriter::PredictionWriter(std::ostream& manifest, json header,
                                   const PredictionWriterOptions& options)
    : impl_(std::make_unique<Impl>(manifest, std::move(header), options)) {
  auto& m = *impl_;
  if (!options.out_dir.empty()) {
    m.stage.emplace(options.out_dir, options.overwrite);
    if (options.task != "instance") fs::create_directories(m.stage->path() / options.task);
  }
  m.manifest << m.header.dump() << '\n';
}

PredictionWriter::~PredictionWriter() = default;

void PredictionWriter::write(const Prediction& p, const std::string& file, const json& image_id,
                             const std::string& output_stem) {
  auto& m = *impl_;
  const auto& task = m.options.task;
  const auto stem = output_stem.empty() ? fs::path(file).stem().string() : output_stem;
  if (m.has_dir()) m.names.claim(stem + ".png", "'" + file + "'");
  json rec = {{"type", "image"},
              {"image_id", image_id},
              {"file_name", file},
              {"height", p.height},
              {"width", p.width}};
  if (task == "panoptic") {
    json segs = segments_json(p);
    rec["segments_info"] = segments_with_rle(segs, p);
    if (m.has_dir()) {
      const auto png = stem + ".png";
      io::write_panoptic_png(m.staged(png).string(), p.width, p.height, p.panoptic.data());
      rec["pan_seg_file_name"] = m.final_path(png);
      m.panoptic_images.push_back({{"id", image_id},
                                   {"file_name", (fs::path(stem).parent_path() /
                                                  fs::path(file).filename())
                                                     .generic_string()},
                                   {"height", p.height},
                                   {"width", p.width}});
      m.panoptic_annotations.push_back(
          {{"image_id", image_id}, {"file_name", png}, {"segments_info", std::move(segs)}});
    }
  } else if (task == "semantic" && m.has_dir()) {
    const auto png = stem + ".png";
    io::write_png(m.staged(png).string(), semantic_image(p));
    rec["sem_seg_file_name"] = m.final_path(png);
  } else if (task == "instance") {
    json anns = json::array();
    for (const auto& ins : p.instances) {
      auto a = instance_json(ins, p.height, p.width);
      anns.push_back(a);
      if (m.has_dir()) {
        a["image_id"] = image_id;
        m.results.push_back(std::move(a));
      }
    }
    rec["annotations"] = std::move(anns);
  }
  m.manifest << rec.dump() << '\n';
}

void PredictionWriter::finish() {
  auto& m = *impl_;
  if (!m.has_dir()) return;
  if (m.options.task == "panoptic")
    io::write_file_atomic((m.stage->path() / "panoptic.json").string(),
                          json{{"images", m.panoptic_images},
                               {"annotations", m.panoptic_annotations},
                               {"categories", coco_categories(m.header)}}
                                  .dump() +
                              "\n");
  if (m.options.task == "instance")
    io::write_file_atomic((m.stage->path() / "results.json").string(), m.results.dump() + "\n");
  m.stage->commit();
}

}  // namespace segx::infer
