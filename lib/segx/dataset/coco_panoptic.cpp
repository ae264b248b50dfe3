// COCO panoptic JSON reading.
#include "segx/dataset/coco_panoptic.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {

std::string panoptic_png_name(const std::string& file_name) {
  // panopticapi: '{}.png'.format(annotation['file_name'].rsplit('.')[0]) -- the text before the
  // FIRST dot, so "a.b.png" opens "a.png". Directory parts keep their dots.
  std::filesystem::path p(file_name);
  std::string base = p.filename().string();
  base = base.substr(0, base.find('.')) + ".png";
  return (p.parent_path() / base).string();
}

std::vector<PanopticSegment> parse_segments_info(const JsonValue& array, const std::string& where) {
  std::vector<PanopticSegment> out;
  if (!array.IsArray()) fail(ErrorKind::DataError, "{}: \"segments_info\" is not an array", where);
  for (const auto& s : array.GetArray()) {
    PanopticSegment seg;
    seg.json = &s;
    int64_t id = get_int(s, "id", where + ": segment");
    if (id < 0 || id >= (int64_t(1) << 24))
      fail(ErrorKind::DataError, "{}: segment id {} cannot be stored in a PNG", where, id);
    seg.id = uint32_t(id);
    std::string here = fmt::format("{}: segment {}", where, id);
    seg.category_id = get_int(s, "category_id", here);
    // get_int, not GetInt/GetInt64: those read a double's bits as an integer (1.0 as 0).
    if (const auto* c = find_member(s, "iscrowd"); c && c->IsNumber())
      seg.iscrowd = int(std::clamp<int64_t>(get_int(s, "iscrowd", here), INT_MIN, INT_MAX));
    if (const auto* ar = find_member(s, "area"); ar && ar->IsNumber())
      seg.area = get_int(s, "area", here);
    if (const auto* sc = find_member(s, "score"); sc && sc->IsNumber()) seg.score = sc->GetDouble();
    out.push_back(seg);
  }
  return out;
}

CocoPanoptic CocoPanoptic::read(const std::string& json_path, const std::string& png_dir) {
  return parse(io::read_all(json_path), json_path, png_dir);
}

CocoPanoptic CocoPanoptic::parse(std::string_view text, const std::string& json_path,
                                 const std::string& png_dir) {
  CocoPanoptic out;
  out.json_path = json_path;
  out.png_dir = png_dir;
  if (out.png_dir.empty()) {
    auto dot = json_path.rfind('.');
    out.png_dir = dot == std::string::npos ? json_path : json_path.substr(0, dot);
  }
  parse_json(out.doc, text, io::is_std_stream(json_path) ? "<stdin>" : json_path);
  const std::string file = "'" + json_path + "'";
  if (!out.doc.IsObject()) fail(ErrorKind::DataError, "{}: expected a JSON object", file);
  if (const auto* cats = find_member(out.doc, "categories"))
    out.categories = CategorySet::from_json(*cats, file);

  std::unordered_map<std::string, const JsonValue*> images;
  if (const auto* imgs = find_member(out.doc, "images"); imgs && imgs->IsArray())
    for (const auto& im : imgs->GetArray())
      if (const auto* id = find_member(im, "id")) images.emplace(id_text(*id), &im);

  const JsonValue& anns = get_array(out.doc, "annotations", file);
  out.annotations.reserve(anns.Size());
  for (rapidjson::SizeType i = 0; i < anns.Size(); ++i) {
    const JsonValue& a = anns[i];
    std::string where = fmt::format("{}: annotation {}", file, i);
    PanopticAnnotation pa;
    pa.json = &a;
    pa.image_id = &member(a, "image_id", where);
    where = fmt::format("{}: image {}", file, id_text(*pa.image_id));
    pa.file_name = get_string(a, "file_name", where);
    pa.segments = parse_segments_info(get_array(a, "segments_info", where), where);
    if (auto it = images.find(id_text(*pa.image_id)); it != images.end()) {
      const JsonValue& im = *it->second;
      if (const auto* w = find_member(im, "width"); w && w->IsInt()) pa.width = w->GetInt();
      if (const auto* h = find_member(im, "height"); h && h->IsInt()) pa.height = h->GetInt();
      if (const auto* f = find_member(im, "file_name"); f && f->IsString()) pa.image_file = f->GetString();
    }
    out.annotations.push_back(std::move(pa));
  }
  return out;
}

std::string CocoPanoptic::png_path(const PanopticAnnotation& a) const {
  return (std::filesystem::path(png_dir) / panoptic_png_name(a.file_name)).string();
}

std::string CocoPanoptic::where(const PanopticAnnotation& a) const {
  return fmt::format("'{}': image {}", json_path, id_text(*a.image_id));
}

void write_segments_info(JsonWriter& w, const std::vector<PanopticSegmentOut>& segments) {
  w.StartArray();
  for (const auto& s : segments) {
    w.StartObject();
    w.Key("id"), w.Uint(s.id);
    w.Key("category_id"), w.Int64(s.category_id);
    w.Key("iscrowd"), w.Int(s.iscrowd);
    w.Key("area"), w.Int64(s.area);
    w.Key("bbox"), w.StartArray();
    for (auto v : s.bbox) w.Int64(v);
    w.EndArray();
    if (s.score) w.Key("score"), w.Double(*s.score);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace segx::dataset
