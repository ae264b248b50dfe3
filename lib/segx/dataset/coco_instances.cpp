// COCO instances/results JSON reading.
#include "segx/dataset/coco_instances.hpp"

#include <algorithm>
#include <climits>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/polygon.hpp"

namespace segx::dataset {

CocoInstances CocoInstances::read(const std::string& path) {
  return parse(io::read_all(path), path);
}

CocoInstances CocoInstances::parse(std::string_view text, const std::string& path) {
  CocoInstances out;
  out.path = path;
  parse_json(out.doc, text, io::is_std_stream(path) ? "<stdin>" : path);
  const std::string file = "'" + path + "'";
  const JsonValue* anns = nullptr;
  if (out.doc.IsArray()) {
    out.is_results = true;
    anns = &out.doc;
  } else if (out.doc.IsObject()) {
    anns = &get_array(out.doc, "annotations", file);
    if (const auto* c = find_member(out.doc, "categories")) out.categories = CategorySet::from_json(*c, file);
    if (const auto* imgs = find_member(out.doc, "images"); imgs && imgs->IsArray())
      for (const auto& im : imgs->GetArray()) {
        ImageInfo info;
        info.json = &im;
        info.id = &member(im, "id", file + ": image");
        info.key = id_text(*info.id);
        std::string where = file + ": image " + info.key;
        info.width = int(get_int(im, "width", where));
        info.height = int(get_int(im, "height", where));
        if (const auto* f = find_member(im, "file_name"); f && f->IsString()) info.file_name = f->GetString();
        if (!out.image_index.emplace(info.key, out.images.size()).second)
          fail(ErrorKind::DataError, "{}: duplicate image id", where);
        out.images.push_back(std::move(info));
      }
  } else {
    fail(ErrorKind::DataError, "{}: expected a COCO instances object or a results list", file);
  }
  out.annotations.reserve(anns->Size());
  for (rapidjson::SizeType i = 0; i < anns->Size(); ++i) {
    const JsonValue& a = (*anns)[i];
    std::string where = fmt::format("{}: annotation {}", file, i);
    InstanceAnnotation ia;
    ia.json = &a;
    ia.image_id = &member(a, "image_id", where);
    ia.image_key = id_text(*ia.image_id);
    if (find_member(a, "id")) ia.id = get_int(a, "id", where);
    ia.category_id = get_int(a, "category_id", where);
    // get_int, not GetInt: that reads a double's bits as an integer (1.0 as 0).
    if (const auto* c = find_member(a, "iscrowd"); c && c->IsNumber())
      ia.iscrowd = int(std::clamp<int64_t>(get_int(a, "iscrowd", where), INT_MIN, INT_MAX));
    if (const auto* s = find_member(a, "score"); s && s->IsNumber()) ia.score = s->GetDouble();
    if (const auto* ar = find_member(a, "area"); ar && ar->IsNumber()) ia.area = ar->GetDouble();
    ia.segmentation = find_member(a, "segmentation");
    ia.bbox = find_member(a, "bbox");
    out.annotations.push_back(ia);
  }
  return out;
}

std::string CocoInstances::where(const InstanceAnnotation& a, std::size_t index) const {
  if (a.id) return fmt::format("'{}': image {}: annotation {}", path, a.image_key, *a.id);
  return fmt::format("'{}': image {}: annotation #{}", path, a.image_key, index);
}

mask::Rle segmentation_to_rle(const JsonValue& seg, uint32_t height, uint32_t width,
                              const std::string& where) {
  if (seg.IsObject()) {
    const JsonValue& size = member(seg, "size", where + ": segmentation");
    if (!size.IsArray() || size.Size() != 2 || !size[0].IsUint() || !size[1].IsUint())
      fail(ErrorKind::DataError, "{}: segmentation \"size\" must be [height, width]", where);
    uint32_t h = size[0].GetUint(), w = size[1].GetUint();
    check_pixels(w, h, where, "RLE mask");
    if ((height || width) && (h != height || w != width))
      fail(ErrorKind::DataError, "{}: RLE size {}x{} differs from the image's {}x{}", where, w, h, width, height);
    const JsonValue& counts = member(seg, "counts", where + ": segmentation");
    mask::Rle rle;
    if (counts.IsString()) {
      try {
        rle = mask::from_string(std::string_view(counts.GetString(), counts.GetStringLength()), h, w);
      } catch (const Error& e) {
        fail(ErrorKind::DataError, "{}: {}", where, e.what());
      }
    } else if (counts.IsArray()) {
      std::vector<uint32_t> c;
      c.reserve(counts.Size());
      for (const auto& v : counts.GetArray()) {
        if (!v.IsUint()) fail(ErrorKind::DataError, "{}: RLE counts must be non-negative integers", where);
        c.push_back(v.GetUint());
      }
      rle = mask::from_counts(std::move(c), h, w);
    } else {
      fail(ErrorKind::DataError, "{}: RLE \"counts\" must be a string or a list", where);
    }
    if (!mask::covers_image(rle))
      fail(ErrorKind::DataError, "{}: RLE decodes to the wrong length for a {}x{} mask", where, w, h);
    return rle;
  }
  if (seg.IsArray()) {
    if (!height || !width) fail(ErrorKind::DataError, "{}: polygons need the image size", where);
    check_pixels(width, height, where, "polygon mask");
    std::vector<std::vector<double>> polys;
    for (const auto& p : seg.GetArray()) {
      if (!p.IsArray()) fail(ErrorKind::DataError, "{}: a polygon must be a list of numbers", where);
      std::vector<double> xy;
      for (const auto& v : p.GetArray()) {
        if (!v.IsNumber()) fail(ErrorKind::DataError, "{}: a polygon must be a list of numbers", where);
        xy.push_back(v.GetDouble());
      }
      polys.push_back(std::move(xy));
    }
    try {
      return mask::from_polygons(polys, height, width);
    } catch (const Error& e) {
      fail(ErrorKind::DataError, "{}: {}", where, e.what());
    }
  }
  fail(ErrorKind::DataError, "{}: segmentation must be an RLE object or a list of polygons", where);
}

void write_rle_json(JsonWriter& w, const mask::Rle& rle) {
  // The counts string is written from a per-thread buffer (no string made for each mask).
  thread_local std::vector<char> counts;
  if (counts.size() < rle.counts.size() * mask::kMaxCharsPerCount)
    counts.resize(rle.counts.size() * mask::kMaxCharsPerCount);
  const std::size_t length = mask::write_string(rle, counts.data());
  w.StartObject();
  w.Key("size"), w.StartArray(), w.Uint(rle.height), w.Uint(rle.width), w.EndArray();
  w.Key("counts"), w.String(counts.data(), rapidjson::SizeType(length));
  w.EndObject();
}

}  // namespace segx::dataset
