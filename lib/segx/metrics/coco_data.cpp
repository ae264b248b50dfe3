// Reading COCO instances and results JSON with RapidJSON (full-precision numbers, as Python's
// json reads them) and turning segmentations into RLE masks in parallel.
#include "segx/metrics/coco_data.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/dataset/json.hpp"
#include "segx/core/parallel.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/polygon.hpp"

namespace segx::metrics {

namespace {

using Value = rapidjson::Value;

// Parses `buffer` in place: strings (the RLE counts, most of the bytes) stay in the buffer,
// uncopied. In-situ parsing rewrites escapes (a "\\n" becomes a newline), so the line and column
// of a syntax error are counted in the unmodified text, which `original` provides (read again
// from the file only then, so a large file is held once).
void parse_document(rapidjson::Document& doc, std::string& buffer, const std::string& name,
                    const std::function<std::string()>& original) {
  if (buffer.find('\0') != std::string::npos)  // in-situ parsing would stop there
    fail(ErrorKind::DataError, "'{}': JSON syntax error: a NUL byte in the file", name);
  const auto result = dataset::parse_json_insitu(doc, buffer.data());
  if (!result.IsError()) return;
  const std::string text = original();
  const size_t offset = std::min(result.Offset(), text.size());
  const size_t line = 1 + std::count(text.begin(), text.begin() + offset, '\n');
  const size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const size_t column = line_start == std::string::npos ? offset + 1 : offset - line_start;
  fail(ErrorKind::DataError, "'{}': JSON syntax error at line {}, column {}: {}", name, line,
       column, rapidjson::GetParseError_En(result.Code()));
}

// Context for error messages: "'file': annotation 12 (id 7): ...".
struct Where {
  const std::string& file;
  const char* what;
  size_t index;
  std::string describe() const { return fmt::format("'{}': {} {}", file, what, index); }
};

const Value& member(const Value& obj, const char* key, const Where& at) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) fail(ErrorKind::DataError, "{}: missing \"{}\"", at.describe(), key);
  return it->value;
}

double number(const Value& v, const char* key, const Where& at) {
  if (!v.IsNumber()) fail(ErrorKind::DataError, "{}: \"{}\" is not a number", at.describe(), key);
  return v.GetDouble();
}

int64_t integer(const Value& v, const char* key, const Where& at) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsNumber()) {
    const double d = v.GetDouble();
    if (std::floor(d) == d && std::fabs(d) < 9.2e18) return int64_t(d);
  }
  fail(ErrorKind::DataError, "{}: \"{}\" is not an integer", at.describe(), key);
}

bool flag(const Value& obj, const char* key, const Where& at) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return false;
  if (it->value.IsBool()) return it->value.GetBool();
  return number(it->value, key, at) != 0;
}

mask::Box read_box(const Value& v, const Where& at) {
  if (!v.IsArray() || v.Size() != 4)
    fail(ErrorKind::DataError, "{}: \"bbox\" is not a list of 4 numbers", at.describe());
  mask::Box b;
  for (unsigned k = 0; k < 4; ++k) b[k] = number(v[k], "bbox", at);
  return b;
}

// An image id as a lookup key: numbers and strings never collide.
std::string id_key(const Value& v, const char* key, const Where& at) {
  if (v.IsString()) return std::string("s") + v.GetString();
  return "n" + std::to_string(integer(v, key, at));
}

// COCO.annToRLE into `o`: polygons rasterised at the image size, RLEs (compressed or not) at
// their own. A compressed string is decoded here once, to check it and take its box (and area),
// and kept compressed (see CocoObject). Returns the mask's area.
uint64_t read_mask(const Value& seg, const CocoImage& image, const Where& at, CocoObject& o) {
  thread_local mask::Rle scratch;
  if (seg.IsArray()) {
    std::vector<std::vector<double>> polygons(seg.Size());
    for (unsigned i = 0; i < seg.Size(); ++i) {
      const Value& p = seg[i];
      if (!p.IsArray())
        fail(ErrorKind::DataError, "{}: a polygon is not a list of numbers", at.describe());
      polygons[i].reserve(p.Size());
      for (const Value& c : p.GetArray()) polygons[i].push_back(number(c, "segmentation", at));
    }
    check_pixels(image.width, image.height, at.describe(), "polygon mask");
    try {
      o.rle = mask::from_polygons(polygons, image.height, image.width);
    } catch (const Error& e) {
      fail(ErrorKind::DataError, "{}: {}", at.describe(), e.what());
    }
    o.mask_box = mask::to_bbox(o.rle);
    return mask::area(o.rle);
  }
  if (!seg.IsObject())
    fail(ErrorKind::DataError, "{}: \"segmentation\" is neither polygons nor an RLE",
         at.describe());
  const Value& size = member(seg, "size", at);
  if (!size.IsArray() || size.Size() != 2)
    fail(ErrorKind::DataError, "{}: RLE \"size\" is not [height, width]", at.describe());
  const uint32_t h = uint32_t(integer(size[0], "size", at));
  const uint32_t w = uint32_t(integer(size[1], "size", at));
  check_pixels(w, h, at.describe(), "RLE mask");
  const Value& counts = member(seg, "counts", at);
  const mask::Rle* rle = &o.rle;
  if (counts.IsString()) {
    o.rle_string = {counts.GetString(), counts.GetStringLength()};
    try {
      mask::decode_string(o.rle_string, h, w, scratch);
    } catch (const Error& e) {
      fail(ErrorKind::DataError, "{}: {}", at.describe(), e.what());
    }
    o.rle = mask::Rle{h, w, {}};
    rle = &scratch;
  } else if (counts.IsArray()) {
    std::vector<uint32_t> c;
    c.reserve(counts.Size());
    for (const Value& x : counts.GetArray()) c.push_back(uint32_t(integer(x, "counts", at)));
    o.rle = mask::from_counts(std::move(c), h, w);
  } else {
    fail(ErrorKind::DataError, "{}: RLE \"counts\" is neither a string nor a list", at.describe());
  }
  if (!mask::covers_image(*rle))
    fail(ErrorKind::DataError, "{}: RLE counts do not add up to {}x{} pixels", at.describe(), h, w);
  o.mask_box = mask::to_bbox(*rle);
  return mask::area(*rle);
}

const Value& top_array(const Value& doc, const char* key, const std::string& name) {
  if (!doc.IsObject()) fail(ErrorKind::DataError, "'{}': not a COCO JSON object", name);
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsArray())
    fail(ErrorKind::DataError, "'{}': missing the \"{}\" list", name, key);
  return it->value;
}

class ImageIndex {
 public:
  explicit ImageIndex(const CocoGroundTruth& gt) {
    for (size_t i = 0; i < gt.images.size(); ++i) keys_.emplace(keys_of(gt, i), uint32_t(i));
  }
  // Returns false when the id is not a ground-truth image.
  bool find(const std::string& key, uint32_t& index) const {
    auto it = keys_.find(key);
    if (it == keys_.end()) return false;
    index = it->second;
    return true;
  }

 private:
  static std::string keys_of(const CocoGroundTruth& gt, size_t i) {
    return gt.numeric_image_ids ? "n" + std::to_string(gt.numeric_ids[i]) : "s" + gt.string_ids[i];
  }
  std::unordered_map<std::string, uint32_t> keys_;
};

std::string display_id(const Value& v) {
  if (v.IsString()) return fmt::format("'{}'", v.GetString());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsNumber()) return fmt::format("{}", v.GetDouble());
  return "?";
}

void read_images(const Value& list, const std::string& name, CocoGroundTruth& gt) {
  struct Raw {
    bool numeric;
    int64_t n;
    std::string s;
    uint32_t h, w;
  };
  std::vector<Raw> raw;
  raw.reserve(list.Size());
  for (unsigned i = 0; i < list.Size(); ++i) {
    const Where at{name, "image", i};
    const Value& im = list[i];
    if (!im.IsObject()) fail(ErrorKind::DataError, "{}: not an object", at.describe());
    const Value& id = member(im, "id", at);
    Raw r{!id.IsString(), 0, {}, 0, 0};
    if (r.numeric)
      r.n = integer(id, "id", at);
    else
      r.s = id.GetString();
    auto h = im.FindMember("height"), w = im.FindMember("width");
    if (h != im.MemberEnd()) r.h = uint32_t(integer(h->value, "height", at));
    if (w != im.MemberEnd()) r.w = uint32_t(integer(w->value, "width", at));
    check_pixels(r.w, r.h, at.describe());
    raw.push_back(std::move(r));
  }
  gt.numeric_image_ids =
      std::all_of(raw.begin(), raw.end(), [](const Raw& r) { return r.numeric; });
  if (!gt.numeric_image_ids &&
      std::any_of(raw.begin(), raw.end(), [](const Raw& r) { return r.numeric; }))
    fail(ErrorKind::DataError, "'{}': image ids mix numbers and strings", name);
  // COCOeval evaluates images in sorted id order (numbers numerically, strings by code point).
  std::sort(raw.begin(), raw.end(),
            [](const Raw& a, const Raw& b) { return a.numeric ? a.n < b.n : a.s < b.s; });
  for (size_t i = 1; i < raw.size(); ++i)
    if (raw[i].numeric ? raw[i].n == raw[i - 1].n : raw[i].s == raw[i - 1].s)
      fail(ErrorKind::DataError, "'{}': duplicate image id {}", name,
           raw[i].numeric ? std::to_string(raw[i].n) : "'" + raw[i].s + "'");
  for (auto& r : raw) {
    gt.images.push_back({r.numeric ? std::to_string(r.n) : r.s, r.h, r.w});
    if (r.numeric)
      gt.numeric_ids.push_back(r.n);
    else
      gt.string_ids.push_back(std::move(r.s));
  }
}

void read_categories(const Value& list, const std::string& name, CocoGroundTruth& gt) {
  for (unsigned i = 0; i < list.Size(); ++i) {
    const Where at{name, "category", i};
    const Value& c = list[i];
    if (!c.IsObject()) fail(ErrorKind::DataError, "{}: not an object", at.describe());
    CocoCategory cat{integer(member(c, "id", at), "id", at), {}};
    auto n = c.FindMember("name");
    if (n != c.MemberEnd() && n->value.IsString()) cat.name = n->value.GetString();
    gt.categories.push_back(std::move(cat));
  }
  std::sort(gt.categories.begin(), gt.categories.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (size_t i = 1; i < gt.categories.size(); ++i)
    if (gt.categories[i].id == gt.categories[i - 1].id)
      fail(ErrorKind::DataError, "'{}': duplicate category id {}", name, gt.categories[i].id);
}

uint32_t category_index(const CocoGroundTruth& gt, int64_t id, const Where& at) {
  auto it = std::lower_bound(gt.categories.begin(), gt.categories.end(), id,
                             [](const CocoCategory& c, int64_t v) { return c.id < v; });
  if (it == gt.categories.end() || it->id != id)
    fail(ErrorKind::DataError, "{}: unknown category id {}", at.describe(), id);
  return uint32_t(it - gt.categories.begin());
}

uint32_t image_index(const ImageIndex& index, const Value& obj, const Where& at) {
  const Value& id = member(obj, "image_id", at);
  uint32_t i = 0;
  if (!index.find(id_key(id, "image_id", at), i))
    fail(ErrorKind::DataError, "{}: image id {} is not in the ground truth", at.describe(),
         display_id(id));
  return i;
}

// Runs fn(i) over [0, n) in chunks on `threads` threads.
template <typename Fn>
void for_chunks(size_t n, int threads, Fn fn) {
  constexpr size_t kChunk = 256;
  parallel_for((n + kChunk - 1) / kChunk, threads, [&](size_t c, int) {
    const size_t end = std::min(n, (c + 1) * kChunk);
    for (size_t i = c * kChunk; i < end; ++i) fn(i);
  });
}

}  // namespace

namespace {

using Original = std::function<std::string()>;

CocoGroundTruth parse_ground_truth_in_place(std::shared_ptr<std::string> buffer,
                                            const Original& original, const std::string& name,
                                            const CocoReadOptions& opt) {
  rapidjson::Document doc;
  parse_document(doc, *buffer, name, original);
  CocoGroundTruth gt;
  gt.text = std::move(buffer);
  read_images(top_array(doc, "images", name), name, gt);
  read_categories(top_array(doc, "categories", name), name, gt);
  const Value& anns = top_array(doc, "annotations", name);
  const ImageIndex index(gt);
  gt.annotations.resize(anns.Size());
  for_chunks(anns.Size(), opt.threads, [&](size_t i) {
    const Where at{name, "annotation", i};
    const Value& a = anns[rapidjson::SizeType(i)];
    if (!a.IsObject()) fail(ErrorKind::DataError, "{}: not an object", at.describe());
    CocoObject& o = gt.annotations[i];
    o.id = integer(member(a, "id", at), "id", at);
    o.image = image_index(index, a, at);
    o.category = category_index(gt, integer(member(a, "category_id", at), "category_id", at), at);
    o.iscrowd = flag(a, "iscrowd", at);
    o.area = number(member(a, "area", at), "area", at);
    if (opt.boxes) {
      o.bbox = read_box(member(a, "bbox", at), at);
      o.has_bbox = true;
    }
    if (opt.masks) read_mask(member(a, "segmentation", at), gt.images[o.image], at, o);
  });
  return gt;
}

CocoResults parse_results_in_place(std::shared_ptr<std::string> buffer, const Original& original,
                                   const std::string& name, const CocoGroundTruth& gt,
                                   const CocoReadOptions& opt) {
  rapidjson::Document doc;
  parse_document(doc, *buffer, name, original);
  if (!doc.IsArray()) fail(ErrorKind::DataError, "'{}': results are not a list of objects", name);
  CocoResults res;
  res.text = std::move(buffer);
  const size_t n = doc.Size();
  if (n == 0) return res;
  // loadRes looks at the first result only: with a box, every area is the box's.
  const Value& first = doc[0];
  if (!first.IsObject()) fail(ErrorKind::DataError, "'{}': result 0: not an object", name);
  auto fb = first.FindMember("bbox");
  if (fb != first.MemberEnd() && !(fb->value.IsArray() && fb->value.Empty()))
    res.kind = ResultsKind::Boxes;
  else if (first.HasMember("segmentation"))
    res.kind = ResultsKind::Masks;
  else
    fail(ErrorKind::DataError, "'{}': result 0 has neither \"bbox\" nor \"segmentation\"", name);

  const ImageIndex index(gt);
  res.detections.resize(n);
  for_chunks(n, opt.threads, [&](size_t i) {
    const Where at{name, "result", i};
    const Value& r = doc[rapidjson::SizeType(i)];
    if (!r.IsObject()) fail(ErrorKind::DataError, "{}: not an object", at.describe());
    CocoObject& d = res.detections[i];
    d.id = int64_t(i) + 1;
    d.image = image_index(index, r, at);
    d.category = category_index(gt, integer(member(r, "category_id", at), "category_id", at), at);
    d.score = number(member(r, "score", at), "score", at);
    if (!std::isfinite(d.score))
      fail(ErrorKind::DataError, "{}: score is not a finite number", at.describe());
    const CocoImage& image = gt.images[d.image];
    if (res.kind == ResultsKind::Boxes) {
      d.bbox = read_box(member(r, "bbox", at), at);
      d.has_bbox = true;
      d.area = d.bbox[2] * d.bbox[3];
      if (opt.masks) {
        auto seg = r.FindMember("segmentation");
        if (seg != r.MemberEnd()) {
          read_mask(seg->value, image, at, d);
        } else {  // loadRes draws the box as a polygon
          const double x1 = d.bbox[0], x2 = x1 + d.bbox[2], y1 = d.bbox[1], y2 = y1 + d.bbox[3];
          d.rle = mask::from_polygon({x1, y1, x1, y2, x2, y2, x2, y1}, image.height, image.width);
          d.mask_box = mask::to_bbox(d.rle);
        }
      }
    } else {
      d.area = double(read_mask(member(r, "segmentation", at), image, at, d));
      auto bb = r.FindMember("bbox");
      d.bbox = bb != r.MemberEnd() ? read_box(bb->value, at) : d.mask_box;
      d.has_bbox = true;
      if (!opt.masks) {
        d.rle = mask::Rle{};
        d.rle_string = {};
      }
    }
  });
  return res;
}

}  // namespace

const mask::Rle& mask_of(const CocoObject& o, mask::Rle& scratch) {
  if (o.rle_string.empty()) return o.rle;
  // Checked when read: decoding cannot fail here.
  mask::decode_string(o.rle_string, o.rle.height, o.rle.width, scratch);
  return scratch;
}

CocoGroundTruth parse_coco_ground_truth(const std::string& text, const std::string& name,
                                        const CocoReadOptions& opt) {
  return parse_ground_truth_in_place(
      std::make_shared<std::string>(text), [&] { return text; }, name, opt);
}

CocoGroundTruth read_coco_ground_truth(const std::string& path, const CocoReadOptions& opt) {
  if (io::is_std_stream(path)) return parse_coco_ground_truth(io::read_all(path), path, opt);
  return parse_ground_truth_in_place(
      std::make_shared<std::string>(io::read_all(path)), [&] { return io::read_all(path); }, path,
      opt);
}

CocoResults parse_coco_results(const std::string& text, const std::string& name,
                               const CocoGroundTruth& gt, const CocoReadOptions& opt) {
  return parse_results_in_place(
      std::make_shared<std::string>(text), [&] { return text; }, name, gt, opt);
}

CocoResults read_coco_results(const std::string& path, const CocoGroundTruth& gt,
                              const CocoReadOptions& opt) {
  // Standard input cannot be read twice: keep its text for a syntax error's line and column.
  if (io::is_std_stream(path)) return parse_coco_results(io::read_all(path), path, gt, opt);
  return parse_results_in_place(
      std::make_shared<std::string>(io::read_all(path)), [&] { return io::read_all(path); }, path,
      gt, opt);
}

}  // namespace segx::metrics
