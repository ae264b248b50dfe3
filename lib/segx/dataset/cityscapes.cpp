// Cityscapes labels and layout conversions.
#include "segx/dataset/cityscapes.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/dataset/segment_stats.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

const std::vector<CityscapesLabel>& cityscapes_labels() {
  static const std::vector<CityscapesLabel> labels = {
      {"unlabeled", 0, 255, "void", 0, false, true, {0, 0, 0}},
      {"ego vehicle", 1, 255, "void", 0, false, true, {0, 0, 0}},
      {"rectification border", 2, 255, "void", 0, false, true, {0, 0, 0}},
      {"out of roi", 3, 255, "void", 0, false, true, {0, 0, 0}},
      {"static", 4, 255, "void", 0, false, true, {0, 0, 0}},
      {"dynamic", 5, 255, "void", 0, false, true, {111, 74, 0}},
      {"ground", 6, 255, "void", 0, false, true, {81, 0, 81}},
      {"road", 7, 0, "flat", 1, false, false, {128, 64, 128}},
      {"sidewalk", 8, 1, "flat", 1, false, false, {244, 35, 232}},
      {"parking", 9, 255, "flat", 1, false, true, {250, 170, 160}},
      {"rail track", 10, 255, "flat", 1, false, true, {230, 150, 140}},
      {"building", 11, 2, "construction", 2, false, false, {70, 70, 70}},
      {"wall", 12, 3, "construction", 2, false, false, {102, 102, 156}},
      {"fence", 13, 4, "construction", 2, false, false, {190, 153, 153}},
      {"guard rail", 14, 255, "construction", 2, false, true, {180, 165, 180}},
      {"bridge", 15, 255, "construction", 2, false, true, {150, 100, 100}},
      {"tunnel", 16, 255, "construction", 2, false, true, {150, 120, 90}},
      {"pole", 17, 5, "object", 3, false, false, {153, 153, 153}},
      {"polegroup", 18, 255, "object", 3, false, true, {153, 153, 153}},
      {"traffic light", 19, 6, "object", 3, false, false, {250, 170, 30}},
      {"traffic sign", 20, 7, "object", 3, false, false, {220, 220, 0}},
      {"vegetation", 21, 8, "nature", 4, false, false, {107, 142, 35}},
      {"terrain", 22, 9, "nature", 4, false, false, {152, 251, 152}},
      {"sky", 23, 10, "sky", 5, false, false, {70, 130, 180}},
      {"person", 24, 11, "human", 6, true, false, {220, 20, 60}},
      {"rider", 25, 12, "human", 6, true, false, {255, 0, 0}},
      {"car", 26, 13, "vehicle", 7, true, false, {0, 0, 142}},
      {"truck", 27, 14, "vehicle", 7, true, false, {0, 0, 70}},
      {"bus", 28, 15, "vehicle", 7, true, false, {0, 60, 100}},
      {"caravan", 29, 255, "vehicle", 7, true, true, {0, 0, 90}},
      {"trailer", 30, 255, "vehicle", 7, true, true, {0, 0, 110}},
      {"train", 31, 16, "vehicle", 7, true, false, {0, 80, 100}},
      {"motorcycle", 32, 17, "vehicle", 7, true, false, {0, 0, 230}},
      {"bicycle", 33, 18, "vehicle", 7, true, false, {119, 11, 32}},
      {"license plate", -1, -1, "vehicle", 7, false, true, {0, 0, 142}},
  };
  return labels;
}

const CityscapesLabel* cityscapes_label(int id) {
  for (const auto& l : cityscapes_labels())
    if (l.id == id) return &l;
  return nullptr;
}

std::array<uint8_t, 256> cityscapes_label_to_train_id() {
  std::array<uint8_t, 256> lut;
  lut.fill(255);
  for (const auto& l : cityscapes_labels())
    if (l.id >= 0 && l.train_id >= 0) lut[std::size_t(l.id)] = uint8_t(l.train_id);
  return lut;
}

CategorySet cityscapes_categories(bool train_ids) {
  std::vector<Category> cats;
  for (const auto& l : cityscapes_labels()) {
    if (l.ignore_in_eval) continue;
    cats.push_back({train_ids ? l.train_id : l.id, l.name, l.category, l.has_instances, true, l.color});
  }
  return CategorySet(std::move(cats));
}

namespace {

struct Frame {
  std::string stem;  // frankfurt_000000_000294
  fs::path instance_ids, label_ids, train_ids, image;
};

// Frames of a split, sorted by instanceIds path (createPanopticImgs sorts its glob).
std::vector<Frame> list_frames(const std::string& root, const std::string& split) {
  fs::path gt = fs::path(root) / "gtFine" / split;
  if (!fs::is_directory(gt)) fail(ErrorKind::NoInput, "cannot open '{}': not a Cityscapes gtFine split folder", gt.string());
  std::vector<Frame> frames;
  for (const auto& city : fs::directory_iterator(gt)) {
    if (!city.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(city.path())) {
      std::string name = f.path().filename().string();
      const std::string suffix = "_gtFine_instanceIds.png";
      if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      Frame fr;
      fr.stem = name.substr(0, name.size() - suffix.size());
      fr.instance_ids = f.path();
      fr.label_ids = city.path() / (fr.stem + "_gtFine_labelIds.png");
      fr.train_ids = city.path() / (fr.stem + "_gtFine_labelTrainIds.png");
      fr.image = fs::path(root) / "leftImg8bit" / split / city.path().filename() / (fr.stem + "_leftImg8bit.png");
      frames.push_back(std::move(fr));
    }
  }
  std::sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.instance_ids < b.instance_ids; });
  if (frames.empty()) fail(ErrorKind::NoInput, "'{}': no *_gtFine_instanceIds.png files", gt.string());
  return frames;
}

}  // namespace

void cityscapes_to_manifest(const std::string& root, const CityscapesOptions& o, std::ostream& out) {
  auto frames = list_frames(root, o.split);
  ManifestWriter w(out);
  JsonDocument header = make_header("cityscapes_" + o.split, cityscapes_categories(o.train_ids),
                                     o.train_ids ? "contiguous" : "category");
  header.AddMember("root", JsonValue(fs::absolute(root).lexically_normal().string().c_str(), header.GetAllocator()), header.GetAllocator());
  w.write_header(header);
  const fs::path base = fs::absolute(root);
  for (const auto& f : frames) {
    io::PngHeader h = io::read_png_header(f.instance_ids.string());
    fs::path sem = o.train_ids ? f.train_ids : f.label_ids;
    if (!fs::exists(sem)) fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory", sem.string());
    rapidjson::StringBuffer buf;
    JsonWriter jw(buf);
    jw.StartObject();
    jw.Key("type"), jw.String("image");
    jw.Key("image_id"), jw.String(f.stem.c_str());
    jw.Key("file_name"), jw.String(fs::absolute(f.image).lexically_relative(base).string().c_str());
    jw.Key("height"), jw.Int(h.height), jw.Key("width"), jw.Int(h.width);
    jw.Key("sem_seg_file_name"), jw.String(fs::absolute(sem).lexically_relative(base).string().c_str());
    jw.Key("instance_ids_file_name"), jw.String(fs::absolute(f.instance_ids).lexically_relative(base).string().c_str());
    jw.EndObject();
    w.write_raw(std::string_view(buf.GetString(), buf.GetSize()));
  }
}

void cityscapes_to_coco_panoptic(const std::string& root, const CityscapesOptions& o,
                                 const std::string& out_json, const std::string& out_dir) {
  auto frames = list_frames(root, o.split);
  struct Result {
    int width = 0, height = 0;
    std::vector<PanopticSegmentOut> segments;
  };
  std::vector<Result> results(frames.size());
  io::OutputNames names;  // frames' stems carry their city: a repeat is a broken layout
  for (const auto& f : frames) names.claim(f.stem + "_gtFine_panoptic.png", "'" + f.instance_ids.string() + "'");
  io::StagedDir stage(out_dir, o.overwrite);
  Progress progress("cityscapes -> panoptic", frames.size());
  parallel_for(frames.size(), resolve_threads(o.threads), [&](std::size_t i, int) {
    const Frame& f = frames[i];
    io::PanopticIds inst = io::read_panoptic_png(f.instance_ids.string());  // grey 16-bit: id = value
    Result& r = results[i];
    r.width = inst.width, r.height = inst.height;
    auto stats = segment_stats(inst.ids.data(), inst.width, inst.height, ~0u);
    std::map<uint32_t, SegmentStats> sorted(stats.begin(), stats.end());  // np.unique order
    std::vector<uint32_t> pan(inst.ids.size(), 0);
    std::unordered_map<uint32_t, bool> keep;
    for (const auto& [sid, st] : sorted) {
      int semantic = sid < 1000 ? int(sid) : int(sid / 1000);
      int crowd = sid < 1000 ? 1 : 0;
      const CityscapesLabel* label = cityscapes_label(semantic);
      if (!label) fail(ErrorKind::DataError, "'{}': unknown Cityscapes label id {}", f.instance_ids.string(), semantic);
      if (label->ignore_in_eval) continue;
      if (!label->has_instances) crowd = 0;
      keep[sid] = true;
      PanopticSegmentOut s;
      s.id = sid, s.category_id = o.train_ids ? label->train_id : label->id, s.iscrowd = crowd;
      s.area = st.area, s.bbox = st.bbox();
      r.segments.push_back(s);
    }
    for (std::size_t p = 0; p < pan.size(); ++p)
      if (keep.count(inst.ids[p])) pan[p] = inst.ids[p];
    io::write_panoptic_png((stage.path() / (f.stem + "_gtFine_panoptic.png")).string(), inst.width, inst.height, pan.data());
    progress.advance();
  });
  progress.finish();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("images"), w.StartArray();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    w.StartObject();
    w.Key("id"), w.String(frames[i].stem.c_str());
    w.Key("width"), w.Int(results[i].width), w.Key("height"), w.Int(results[i].height);
    w.Key("file_name"), w.String((frames[i].stem + "_gtFine_leftImg8bit.png").c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("annotations"), w.StartArray();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    w.StartObject();
    w.Key("image_id"), w.String(frames[i].stem.c_str());
    w.Key("file_name"), w.String((frames[i].stem + "_gtFine_panoptic.png").c_str());
    w.Key("segments_info"), write_segments_info(w, results[i].segments);
    w.EndObject();
  }
  w.EndArray();
  w.Key("categories"), cityscapes_categories(o.train_ids).write_json(w);
  w.EndObject();
  io::commit_json_and_dir(stage, out_json, {buf.GetString(), buf.GetSize()});
}

}  // namespace segx::dataset
