// COCO panoptic -> COCO instances / semantic, reproducing panopticapi's converters field for field.
#include "segx/dataset/panoptic_convert.hpp"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_instances.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/mask/label_encoder.hpp"
#include "segx/mask/rle.hpp"

namespace segx::dataset {
namespace {

// Reads an annotation's PNG and checks its size against the "images" entry.
void read_ids(const CocoPanoptic& in, const PanopticAnnotation& a, io::PanopticIds& ids) {
  io::read_panoptic_png(in.png_path(a), ids);
  if ((a.width && a.width != ids.width) || (a.height && a.height != ids.height))
    fail(ErrorKind::DataError, "{}: PNG '{}' is {}x{} but the image is {}x{}", in.where(a),
         in.png_path(a), ids.width, ids.height, a.width, a.height);
}

// Reads an annotation's PNG, checks its size like read_ids and returns the mask of every segment
// id, sorted by id: the masks are encoded from each row's runs as the PNG decodes, without an id
// map.
std::vector<std::pair<uint32_t, mask::Rle>> read_segment_masks(const CocoPanoptic& in,
                                                               const PanopticAnnotation& a,
                                                               int& width, int& height) {
  thread_local mask::LabelEncoder encoder;
  io::stream_panoptic_runs(in.png_path(a), [&](int y, const uint32_t* run_ids, const uint32_t* ends, std::size_t runs) {
    if (y == 0) encoder.start(uint32_t(height), uint32_t(width));
    encoder.add_row(uint32_t(y), run_ids, ends, runs);
  }, width, height);
  if ((a.width && a.width != width) || (a.height && a.height != height))
    fail(ErrorKind::DataError, "{}: PNG '{}' is {}x{} but the image is {}x{}", in.where(a),
         in.png_path(a), width, height, a.width, a.height);
  return encoder.finish();
}

// The mask of `id` among encode_labels' sorted output; null when the PNG has no such pixel.
const mask::Rle* find_rle(const std::vector<std::pair<uint32_t, mask::Rle>>& labels, uint32_t id) {
  auto it = std::lower_bound(labels.begin(), labels.end(), id,
                             [](const auto& p, uint32_t v) { return p.first < v; });
  return it != labels.end() && it->first == id ? &it->second : nullptr;
}

// The mask of a segment the PNG does not show: pycocotools encodes an all-zero mask as one run.
mask::Rle empty_mask(uint32_t height, uint32_t width) { return mask::Rle{height, width, {height * width}}; }

// Copies the input's top-level members, letting `replace` write the ones it handles.
template <typename Replace>
void write_top_level(const JsonDocument& doc, JsonWriter& w, Replace&& replace) {
  w.StartObject();
  for (const auto& m : doc.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (!replace(m.name.GetString(), w)) m.value.Accept(w);
  }
  w.EndObject();
}

// A category list without isthing and color (panopticapi pops both), optionally things only.
void write_categories_without_flags(JsonWriter& w, const JsonValue* cats, bool things_only) {
  w.StartArray();
  if (cats && cats->IsArray())
    for (const auto& c : cats->GetArray()) {
      if (things_only) {
        const auto* t = find_member(c, "isthing");
        if (!t || !t->IsNumber() || t->GetDouble() != 1) continue;
      }
      w.StartObject();
      for (const auto& m : c.GetObject()) {
        if (std::strcmp(m.name.GetString(), "isthing") == 0 || std::strcmp(m.name.GetString(), "color") == 0) continue;
        w.Key(m.name.GetString(), m.name.GetStringLength());
        m.value.Accept(w);
      }
      w.EndObject();
    }
  w.EndArray();
}

void flush(const rapidjson::StringBuffer& buf, std::ostream& out) {
  out.write(buf.GetString(), std::streamsize(buf.GetSize()));
  out.put('\n');
}

}  // namespace

void panoptic_to_instances(const CocoPanoptic& in, const PanopticToInstancesOptions& options,
                           std::ostream& out) {
  const CategorySet& cats = options.categories ? *options.categories : in.categories;
  // The segments each image converts, from the JSON alone: things-only filtering happens before
  // any PNG is read (a missing category must fail the same way whatever the pixels are), and the
  // counts give every annotation its id before the images are converted in parallel.
  std::vector<std::vector<const PanopticSegment*>> keep(in.annotations.size());
  std::vector<int64_t> first_id(in.annotations.size());
  int64_t next_id = options.id_start;
  for (std::size_t i = 0; i < in.annotations.size(); ++i) {
    const PanopticAnnotation& a = in.annotations[i];
    for (const auto& s : a.segments) {
      if (options.things_only) {
        const Category* c = cats.find(s.category_id);
        if (!c) fail(ErrorKind::DataError, "{}: segment {}: unknown category {}", in.where(a), s.id, s.category_id);
        if (!c->isthing) continue;
      }
      keep[i].push_back(&s);
    }
    first_id[i] = next_id;
    next_id += int64_t(keep[i].size());
  }

  // Each image's annotations are written as JSON text on the worker that converts it: the output
  // (40 MB for 5,000 images) would otherwise be written by one thread after all the decoding.
  std::vector<std::string> annotations_json(in.annotations.size());
  Progress progress("panoptic -> instances", in.annotations.size());
  parallel_for(in.annotations.size(), resolve_threads(options.threads), [&](std::size_t i, int) {
    const PanopticAnnotation& a = in.annotations[i];
    int width = 0, height = 0;
    const auto labels = read_segment_masks(in, a, width, height);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    for (std::size_t k = 0; k < keep[i].size(); ++k) {
      const PanopticSegment& s = *keep[i][k];
      if (k) buf.Put(',');
      w.Reset(buf);  // one complete object after another, comma-separated
      w.StartObject();
      for (const auto& m : s.json->GetObject()) {
        const char* key = m.name.GetString();
        if (!std::strcmp(key, "id") || !std::strcmp(key, "image_id") || !std::strcmp(key, "segmentation")) continue;
        w.Key(key, m.name.GetStringLength());
        m.value.Accept(w);
      }
      w.Key("image_id"), a.image_id->Accept(w);
      const mask::Rle* rle = find_rle(labels, s.id);
      w.Key("segmentation"), write_rle_json(w, rle ? *rle : empty_mask(uint32_t(height), uint32_t(width)));
      w.Key("id"), w.Int64(first_id[i] + int64_t(k));
      w.EndObject();
    }
    annotations_json[i].assign(buf.GetString(), buf.GetSize());
    progress.advance();
  });
  progress.finish();

  // The annotations (most of the output) go straight to `out`: the writer gets an empty array
  // where they belong, and the text is spliced there (RapidJSON's RawValue would copy 40 MB one
  // character at a time).
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  std::size_t splice_at = 0;  // the position of the empty array's "]"
  write_top_level(in.doc, w, [&](const char* key, JsonWriter& w) {
    if (std::strcmp(key, "annotations") == 0) {
      w.RawValue("[]", 2, rapidjson::kArrayType);
      splice_at = buf.GetSize() - 1;
      return true;
    }
    if (std::strcmp(key, "categories") == 0) {
      write_categories_without_flags(w, find_member(in.doc, "categories"), options.things_only);
      return true;
    }
    return false;
  });
  if (splice_at == 0) fail(ErrorKind::Internal, "{}: no annotations array to write into", in.json_path);
  const char* text = buf.GetString();
  out.write(text, std::streamsize(splice_at));
  bool first = true;
  for (auto& annotations : annotations_json) {
    if (annotations.empty()) continue;
    if (!first) out.put(',');
    out.write(annotations.data(), std::streamsize(annotations.size()));
    std::string().swap(annotations);  // give the memory back as it is written
    first = false;
  }
  out.write(text + splice_at, std::streamsize(buf.GetSize() - splice_at));
  out.put('\n');
}

SemanticScheme parse_semantic_scheme(const std::string& name) {
  if (name == "category") return SemanticScheme::Category;
  if (name == "contiguous") return SemanticScheme::Contiguous;
  if (name == "panoptic-fpn" || name == "panoptic_fpn") return SemanticScheme::PanopticFpn;
  fail(ErrorKind::Usage, "unknown semantic id scheme '{}' (category, contiguous, panoptic-fpn)", name);
}

const char* to_string(SemanticScheme scheme) {
  switch (scheme) {
    case SemanticScheme::Category: return "category";
    case SemanticScheme::Contiguous: return "contiguous";
    case SemanticScheme::PanopticFpn: return "panoptic_fpn";
  }
  return "?";
}

namespace {

// The semantic value of every category under a scheme.
struct SemanticMap {
  std::unordered_map<int64_t, uint32_t> value;
  uint32_t unlabeled = 0;
  uint32_t max_value = 0;
};

SemanticMap semantic_map(const CategorySet& cats, SemanticScheme scheme) {
  SemanticMap m;
  uint32_t stuff = 0;
  m.unlabeled = scheme == SemanticScheme::Category ? 0 : 255;
  for (std::size_t i = 0; i < cats.list().size(); ++i) {
    const Category& c = cats.list()[i];
    uint32_t v = 0;
    switch (scheme) {
      case SemanticScheme::Category:
        if (c.id < 0 || c.id > 65535) fail(ErrorKind::DataError, "category id {} does not fit a 16-bit PNG", c.id);
        v = uint32_t(c.id);
        break;
      case SemanticScheme::Contiguous: v = uint32_t(i); break;
      case SemanticScheme::PanopticFpn: v = c.isthing ? 0 : ++stuff; break;
    }
    if (scheme != SemanticScheme::Category && v >= 255)
      fail(ErrorKind::DataError, "too many categories for 8-bit {} ids (255 is the ignore value)", to_string(scheme));
    m.value[c.id] = v;
    m.max_value = std::max(m.max_value, v);
  }
  return m;
}

// Paints the semantic value of each segment (later segments win, as panopticapi's loop).
template <typename T>
void paint(const io::PanopticIds& ids, const std::unordered_map<uint32_t, uint32_t>& lut, uint32_t unlabeled, T* out) {
  uint32_t last_id = ~0u, last_value = unlabeled;
  for (std::size_t p = 0; p < ids.ids.size(); ++p) {
    uint32_t id = ids.ids[p];
    if (id != last_id) {
      auto it = lut.find(id);
      last_id = id, last_value = it == lut.end() ? unlabeled : it->second;
    }
    out[p] = T(last_value);
  }
}

}  // namespace

void panoptic_to_semantic_pngs(const CocoPanoptic& in, const PanopticToSemanticOptions& options,
                               const std::string& out_dir) {
  const CategorySet& cats = options.categories ? *options.categories : in.categories;
  SemanticMap map = semantic_map(cats, options.scheme);
  const bool wide = map.max_value > 255;
  // Each PNG is named by its annotation's file_name: checked and claimed before anything is
  // written, so that no name leaves the folder and no two annotations write one file.
  io::OutputNames names;
  for (const auto& a : in.annotations) names.claim(a.file_name, in.where(a));
  io::StagedDir stage(out_dir, options.overwrite);
  Progress progress("panoptic -> semantic", in.annotations.size());
  const int threads = resolve_threads(options.threads);
  std::vector<io::PanopticIds> buffers(static_cast<std::size_t>(threads));
  parallel_for(in.annotations.size(), threads, [&](std::size_t i, int worker) {
    const PanopticAnnotation& a = in.annotations[i];
    std::unordered_map<uint32_t, uint32_t> lut;
    for (const auto& s : a.segments) {
      auto it = map.value.find(s.category_id);
      if (it == map.value.end())
        fail(ErrorKind::DataError, "{}: segment {}: unknown category {}", in.where(a), s.id, s.category_id);
      lut[s.id] = it->second;
    }
    io::PanopticIds& ids = buffers[std::size_t(worker)];
    read_ids(in, a, ids);
    io::Image img;
    img.width = ids.width, img.height = ids.height, img.channels = 1, img.bit_depth = wide ? 16 : 8;
    img.data.resize(img.row_bytes() * std::size_t(img.height));
    if (wide) paint(ids, lut, map.unlabeled, img.data16());
    else paint(ids, lut, map.unlabeled, img.data.data());
    std::filesystem::path dest = stage.path() / a.file_name;
    std::filesystem::create_directories(dest.parent_path());
    io::write_png(dest.string(), img);
    progress.advance();
  });
  progress.finish();
  stage.commit();
}

void panoptic_to_semantic_json(const CocoPanoptic& in, const PanopticToSemanticOptions& options,
                               std::ostream& out) {
  struct Region {
    int64_t category_id;
    mask::Rle rle;
  };
  std::vector<std::vector<Region>> results(in.annotations.size());
  Progress progress("panoptic -> semantic", in.annotations.size());
  const int threads = resolve_threads(options.threads);
  std::vector<io::PanopticIds> buffers(static_cast<std::size_t>(threads));
  parallel_for(in.annotations.size(), threads, [&](std::size_t i, int worker) {
    const PanopticAnnotation& a = in.annotations[i];
    io::PanopticIds& ids = buffers[std::size_t(worker)];
    read_ids(in, a, ids);
    // Categories in order of first appearance (panopticapi's dict), each the union of its segments:
    // encode the map of category positions directly instead of merging per-segment RLEs.
    std::vector<int64_t> order;
    std::unordered_map<int64_t, uint32_t> position;
    std::unordered_map<uint32_t, uint32_t> lut;
    for (const auto& s : a.segments) {
      auto [it, fresh] = position.emplace(s.category_id, uint32_t(order.size() + 1));
      if (fresh) order.push_back(s.category_id);
      lut[s.id] = it->second;
    }
    std::vector<uint32_t> cat_map(ids.ids.size());
    paint(ids, lut, 0, cat_map.data());
    auto labels = mask::encode_labels(cat_map.data(), uint32_t(ids.height), uint32_t(ids.width));
    for (std::size_t k = 0; k < order.size(); ++k) {
      const mask::Rle* rle = find_rle(labels, uint32_t(k + 1));
      results[i].push_back({order[k], rle ? *rle : empty_mask(uint32_t(ids.height), uint32_t(ids.width))});
    }
    progress.advance();
  });
  progress.finish();

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  const JsonValue* cats_json = options.categories_json ? options.categories_json : find_member(in.doc, "categories");
  write_top_level(in.doc, w, [&](const char* key, JsonWriter& w) {
    if (std::strcmp(key, "annotations") == 0) {
      int64_t next_id = 0;
      w.StartArray();
      for (std::size_t i = 0; i < results.size(); ++i)
        for (const auto& r : results[i]) {
          w.StartObject();
          w.Key("image_id"), in.annotations[i].image_id->Accept(w);
          w.Key("category_id"), w.Int64(r.category_id);
          w.Key("segmentation"), write_rle_json(w, r.rle);
          w.Key("area"), w.Uint64(mask::area(r.rle));
          mask::Box box = mask::to_bbox(r.rle);
          w.Key("bbox"), w.StartArray();
          for (double v : box) w.Double(v);
          w.EndArray();
          w.Key("iscrowd"), w.Int(0);
          w.Key("id"), w.Int64(next_id++);
          w.EndObject();
        }
      w.EndArray();
      return true;
    }
    if (std::strcmp(key, "categories") == 0) {
      write_categories_without_flags(w, cats_json, false);
      return true;
    }
    return false;
  });
  flush(buf, out);
}

}  // namespace segx::dataset
