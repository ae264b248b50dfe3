// COCO panoptic <-> manifest.
#include "segx/dataset/manifest_convert.hpp"

#include <cstring>
#include <filesystem>
#include <ostream>

#include "segx/core/error.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

void coco_panoptic_to_manifest(const CocoPanoptic& in, const std::string& images_dir,
                               const std::string& name, std::ostream& out) {
  ManifestWriter w(out);
  std::string dataset = name.empty() ? fs::path(in.json_path).stem().string() : name;
  JsonDocument header = make_header(dataset, in.categories);
  const fs::path base = fs::current_path();
  header.AddMember("root", JsonValue(base.string().c_str(), header.GetAllocator()), header.GetAllocator());
  w.write_header(header);
  // The "images" entries by id, to copy their fields.
  std::unordered_map<std::string, const JsonValue*> images;
  if (const auto* imgs = find_member(in.doc, "images"); imgs && imgs->IsArray())
    for (const auto& im : imgs->GetArray())
      if (const auto* id = find_member(im, "id")) images.emplace(id_text(*id), &im);
  for (const auto& a : in.annotations) {
    int width = a.width, height = a.height;
    if (!width || !height) {
      io::PngHeader h = io::read_png_header(in.png_path(a));
      width = h.width, height = h.height;
    }
    rapidjson::StringBuffer buf;
    JsonWriter jw(buf);
    jw.StartObject();
    jw.Key("type"), jw.String("image");
    jw.Key("image_id"), a.image_id->Accept(jw);
    std::string file = a.image_file.empty() ? fs::path(a.file_name).replace_extension(".jpg").string() : a.image_file;
    if (!images_dir.empty()) file = (fs::path(images_dir) / file).string();
    jw.Key("file_name"), jw.String(file.c_str());
    jw.Key("height"), jw.Int(height), jw.Key("width"), jw.Int(width);
    jw.Key("pan_seg_file_name"), jw.String(in.png_path(a).c_str());
    jw.Key("segments_info"), member(*a.json, "segments_info", in.where(a)).Accept(jw);
    if (auto it = images.find(id_text(*a.image_id)); it != images.end())
      for (const auto& m : it->second->GetObject()) {
        const char* k = m.name.GetString();
        if (!std::strcmp(k, "id") || !std::strcmp(k, "file_name") || !std::strcmp(k, "height") || !std::strcmp(k, "width")) continue;
        jw.Key(k, m.name.GetStringLength());
        m.value.Accept(jw);
      }
    jw.EndObject();
    w.write_raw(std::string_view(buf.GetString(), buf.GetSize()));
  }
}

void manifest_to_coco_panoptic(const std::string& manifest, const std::string& out_json,
                               const std::string& out_dir, bool overwrite) {
  ManifestReader reader(manifest);
  io::StagedDir stage(out_dir, overwrite);
  io::OutputNames names;  // two records naming one PNG are refused, not copied over each other
  rapidjson::StringBuffer images_buf, anns_buf;
  JsonWriter iw(images_buf), aw(anns_buf);
  iw.StartArray(), aw.StartArray();
  JsonDocument rec;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    const std::string pan = get_string(rec, "pan_seg_file_name", where);
    const JsonValue& segs = get_array(rec, "segments_info", where);
    parse_segments_info(segs, where);  // validates ids and categories' presence
    for (const auto& s : segs.GetArray()) {
      int64_t cat = get_int(s, "category_id", where);
      if (!reader.header().categories.empty() && !reader.header().categories.find(cat))
        fail(ErrorKind::Config, "{}: category {} is not in the header", where, cat);
    }
    const std::string src = reader.resolve(pan);
    const JsonValue& id = member(rec, "image_id", where);
    std::string png = (id.IsString() ? std::string(id.GetString()) : id_text(id)) + ".png";
    if (fs::path(src).filename().string() != png) png = fs::path(src).filename().string();
    names.claim(png, where);
    std::error_code ec;
    if (!fs::exists(src)) fail(ErrorKind::NoInput, "{}: cannot open '{}': No such file or directory", where, src);
    fs::copy_file(src, stage.path() / png, fs::copy_options::overwrite_existing, ec);
    if (ec) fail(ErrorKind::CannotCreate, "{}: cannot copy '{}': {}", where, src, ec.message());
    iw.StartObject();
    iw.Key("id"), id.Accept(iw);
    iw.Key("width"), iw.Int64(get_int(rec, "width", where));
    iw.Key("height"), iw.Int64(get_int(rec, "height", where));
    iw.Key("file_name"), iw.String(fs::path(get_string(rec, "file_name", where)).filename().string().c_str());
    iw.EndObject();
    aw.StartObject();
    aw.Key("image_id"), id.Accept(aw);
    aw.Key("file_name"), aw.String(png.c_str());
    aw.Key("segments_info"), segs.Accept(aw);
    aw.EndObject();
  }
  iw.EndArray(), aw.EndArray();
  rapidjson::StringBuffer cats_buf;
  JsonWriter cw(cats_buf);
  reader.header().categories.write_json(cw);
  io::AtomicOutput out(out_json);
  out.stream() << "{\"images\":" << images_buf.GetString() << ",\"annotations\":" << anns_buf.GetString()
               << ",\"categories\":" << cats_buf.GetString() << "}\n";
  stage.commit();
  out.commit();
}

}  // namespace segx::dataset
