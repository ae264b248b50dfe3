// Lint checks. Each image is checked on a worker thread into its own finding list; lists are
// concatenated in input order so the report is the same for any thread count.
#include "segx/dataset/lint.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <unordered_map>
#include <unordered_set>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/dataset/segment_stats.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;
namespace {

using Findings = std::vector<LintFinding>;

void add(Findings& f, const char* check, const std::string& where, std::string message) {
  f.push_back({check, where, std::move(message)});
}

// The checks of one panoptic image: PNG present and readable, its size, ids both ways,
// duplicate segment ids, categories, areas and boxes.
void lint_panoptic_image(const std::string& png, int width, int height,
                         const std::vector<PanopticSegment>& segments, const CategorySet& cats,
                         const std::string& where, Findings& out) {
  std::unordered_set<uint32_t> seen;
  for (const auto& s : segments) {
    if (!seen.insert(s.id).second) add(out, "duplicate_segment_id", where, fmt::format("segment id {} appears twice", s.id));
    if (!cats.empty() && !cats.find(s.category_id))
      add(out, "unknown_category", where, fmt::format("segment {}: unknown category {}", s.id, s.category_id));
  }
  if (!fs::exists(png)) {
    add(out, "missing_file", where, fmt::format("cannot open '{}': No such file or directory", png));
    return;
  }
  io::PanopticIds ids;
  try {
    io::read_panoptic_png(png, ids);
  } catch (const Error& e) {
    add(out, "unreadable_png", where, e.what());
    return;
  }
  if ((width && width != ids.width) || (height && height != ids.height))
    add(out, "size_mismatch", where, fmt::format("PNG '{}' is {}x{}, the image {}x{}", png, ids.width, ids.height, width, height));
  auto stats = segment_stats(ids.ids.data(), ids.width, ids.height);
  std::vector<uint32_t> extra;
  for (const auto& [id, st] : stats)
    if (!seen.count(id)) extra.push_back(id);
  std::sort(extra.begin(), extra.end());
  for (uint32_t id : extra)
    add(out, "id_not_in_json", where, fmt::format("PNG id {} ({} pixels) has no segments_info entry", id, stats[id].area));
  for (const auto& s : segments) {
    auto it = stats.find(s.id);
    if (it == stats.end()) {
      add(out, "id_not_in_png", where, fmt::format("segment {} has no pixels in '{}'", s.id, png));
      continue;
    }
    if (s.area && *s.area != it->second.area)
      add(out, "area_mismatch", where, fmt::format("segment {}: JSON area {} but {} pixels", s.id, *s.area, it->second.area));
    if (const auto* b = find_member(*s.json, "bbox"); b && b->IsArray() && b->Size() == 4) {
      auto box = it->second.bbox();
      bool same = true;
      for (rapidjson::SizeType k = 0; k < 4; ++k) same = same && (*b)[k].IsNumber() && (*b)[k].GetDouble() == double(box[k]);
      if (!same)
        add(out, "bbox_mismatch", where, fmt::format("segment {}: JSON bbox {} but pixels give [{},{},{},{}]", s.id, to_json(*b), box[0], box[1], box[2], box[3]));
    }
  }
}

Findings concat(std::vector<Findings>& parts) {
  Findings all;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(all));
  return all;
}

}  // namespace

LintReport lint_panoptic(const CocoPanoptic& in, int threads) {
  LintReport r;
  r.input = in.json_path, r.format = "coco_panoptic", r.images = in.annotations.size();
  Findings head;
  std::unordered_set<std::string> image_ids;
  for (const auto& a : in.annotations) {
    r.segments += a.segments.size();
    if (!image_ids.insert(id_text(*a.image_id)).second) add(head, "duplicate_image_id", in.where(a), "image id appears in two annotations");
  }
  std::vector<Findings> parts(in.annotations.size());
  Progress progress("lint", in.annotations.size());
  parallel_for(in.annotations.size(), resolve_threads(threads), [&](std::size_t i, int) {
    const auto& a = in.annotations[i];
    lint_panoptic_image(in.png_path(a), a.width, a.height, a.segments, in.categories, in.where(a), parts[i]);
    progress.advance();
  });
  progress.finish();
  r.findings = std::move(head);
  Findings rest = concat(parts);
  std::move(rest.begin(), rest.end(), std::back_inserter(r.findings));
  return r;
}

LintReport lint_instances(const CocoInstances& in, const CocoInstances& images, int threads) {
  LintReport r;
  r.input = in.path, r.format = in.is_results ? "coco_results" : "coco_instances";
  r.images = images.images.size(), r.segments = in.annotations.size();
  Findings head;
  std::unordered_set<int64_t> ann_ids;
  std::vector<std::vector<std::size_t>> by_image(images.images.size());
  for (std::size_t i = 0; i < in.annotations.size(); ++i) {
    const auto& a = in.annotations[i];
    if (a.id && !ann_ids.insert(*a.id).second) add(head, "duplicate_annotation_id", in.where(a, i), "annotation id appears twice");
    const CategorySet& cats = in.categories.empty() ? images.categories : in.categories;
    if (!cats.empty() && !cats.find(a.category_id))
      add(head, "unknown_category", in.where(a, i), fmt::format("unknown category {}", a.category_id));
    auto it = images.image_index.find(a.image_key);
    if (it == images.image_index.end()) add(head, "unknown_image", in.where(a, i), "image id not in \"images\"");
    else by_image[it->second].push_back(i);
  }
  std::vector<Findings> parts(images.images.size());
  parallel_for(images.images.size(), resolve_threads(threads), [&](std::size_t k, int) {
    const ImageInfo& im = images.images[k];
    struct Decoded {
      std::size_t ann;
      mask::Rle rle;
      mask::Box box;
    };
    std::vector<Decoded> masks;
    for (std::size_t i : by_image[k]) {
      const auto& a = in.annotations[i];
      if (!a.segmentation) continue;
      try {
        mask::Rle rle = segmentation_to_rle(*a.segmentation, uint32_t(im.height), uint32_t(im.width), in.where(a, i));
        uint64_t area = mask::area(rle);
        // Crowd RLE areas in COCO are the RLE's own; polygons' JSON areas are polygon areas, so
        // only compare for RLE segmentations.
        if (a.area && a.segmentation->IsObject() && std::abs(*a.area - double(area)) > 0.5)
          add(parts[k], "area_mismatch", in.where(a, i), fmt::format("JSON area {} but the mask has {} pixels", *a.area, area));
        if (!a.iscrowd) masks.push_back({i, rle, mask::to_bbox(rle)});
      } catch (const Error& e) {
        add(parts[k], "bad_segmentation", in.where(a, i), e.what());
      }
    }
    // Non-crowd masks that share pixels (results lists are expected to overlap; skip them).
    if (in.is_results) return;
    for (std::size_t x = 0; x < masks.size(); ++x)
      for (std::size_t y = x + 1; y < masks.size(); ++y) {
        const auto &bx = masks[x].box, &by = masks[y].box;
        if (bx[0] >= by[0] + by[2] || by[0] >= bx[0] + bx[2] || bx[1] >= by[1] + by[3] || by[1] >= bx[1] + bx[3]) continue;
        uint64_t inter = mask::area(mask::merge({masks[x].rle, masks[y].rle}, true));
        if (inter == 0) continue;
        const auto& ay = in.annotations[masks[y].ann];
        add(parts[k], "overlap", in.where(in.annotations[masks[x].ann], masks[x].ann),
            fmt::format("shares {} pixels with annotation {}", inter, ay.id ? std::to_string(*ay.id) : "#" + std::to_string(masks[y].ann)));
      }
  });
  r.findings = std::move(head);
  Findings rest = concat(parts);
  std::move(rest.begin(), rest.end(), std::back_inserter(r.findings));
  return r;
}

LintReport lint_manifest(const std::string& path, int threads) {
  (void)threads;  // records are streamed; each image is cheap next to the PNG decode
  LintReport r;
  r.input = path, r.format = "manifest";
  ManifestReader reader(path);
  const CategorySet& cats = reader.header().categories;
  std::unordered_set<std::string> image_ids;
  JsonDocument rec;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    ++r.images;
    std::string id = record_image_id(rec);
    if (!image_ids.insert(id).second) add(r.findings, "duplicate_image_id", where, fmt::format("image id {} appears twice", id));
    int width = 0, height = 0;
    if (const auto* w = find_member(rec, "width"); w && w->IsInt()) width = w->GetInt();
    if (const auto* h = find_member(rec, "height"); h && h->IsInt()) height = h->GetInt();
    for (const char* key : {"file_name", "sem_seg_file_name"})
      if (const auto* f = find_member(rec, key); f && f->IsString() && !fs::exists(reader.resolve(f->GetString())))
        add(r.findings, "missing_file", where, fmt::format("{}: cannot open '{}': No such file or directory", key, reader.resolve(f->GetString())));
    if (const auto* pan = find_member(rec, "pan_seg_file_name"); pan && pan->IsString()) {
      try {
        auto segs = parse_segments_info(get_array(rec, "segments_info", where), where);
        r.segments += segs.size();
        lint_panoptic_image(reader.resolve(pan->GetString()), width, height, segs, cats, where, r.findings);
      } catch (const Error& e) {
        add(r.findings, "bad_segmentation", where, e.what());
      }
    }
    if (const auto* anns = find_member(rec, "annotations"); anns && anns->IsArray()) {
      for (const auto& a : anns->GetArray()) {
        ++r.segments;
        if (const auto* c = find_member(a, "category_id"); c && c->IsInt64() && !cats.empty() && !cats.find(c->GetInt64()))
          add(r.findings, "unknown_category", where, fmt::format("annotation: unknown category {}", c->GetInt64()));
        if (const auto* seg = find_member(a, "segmentation")) {
          try {
            segmentation_to_rle(*seg, uint32_t(height), uint32_t(width), where);
          } catch (const Error& e) {
            add(r.findings, "bad_segmentation", where, e.what());
          }
        }
      }
    }
  }
  return r;
}

LintReport lint_path(const std::string& path, const std::string& png_dir, int threads) {
  bool manifest = path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  if (!manifest && path != "-") {
    std::ifstream f(path);
    if (!f) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, errno_text(errno));
    std::string first;
    std::getline(f, first);
    manifest = first.find("\"type\"") != std::string::npos && first.find("\"header\"") != std::string::npos;
  }
  if (manifest || path == "-") return lint_manifest(path, threads);
  // Peek at the structure: panoptic annotations carry segments_info.
  JsonDocument probe = read_json_file(path);
  bool panoptic = false;
  if (probe.IsObject())
    if (const auto* anns = find_member(probe, "annotations"); anns && anns->IsArray() && !anns->Empty())
      panoptic = find_member((*anns)[0], "segments_info") != nullptr;
  probe = JsonDocument();
  if (panoptic) return lint_panoptic(CocoPanoptic::read(path, png_dir), threads);
  CocoInstances in = CocoInstances::read(path);
  if (in.is_results) fail(ErrorKind::Usage, "'{}' is a results list; lint its ground truth instead", path);
  return lint_instances(in, in, threads);
}

void write_lint_text(const LintReport& r, std::ostream& out) {
  for (const auto& f : r.findings) out << f.where << ": " << f.check << ": " << f.message << "\n";
  out << r.input << ": " << r.format << ", " << r.images << " images, " << r.segments << " segments, "
      << r.findings.size() << (r.findings.size() == 1 ? " finding" : " findings") << "\n";
}

void write_lint_json(const LintReport& r, std::ostream& out) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("input"), w.String(r.input.c_str());
  w.Key("format"), w.String(r.format.c_str());
  w.Key("images"), w.Uint64(r.images);
  w.Key("segments"), w.Uint64(r.segments);
  w.Key("findings"), w.StartArray();
  for (const auto& f : r.findings) {
    w.StartObject();
    w.Key("check"), w.String(f.check.c_str());
    w.Key("where"), w.String(f.where.c_str());
    w.Key("message"), w.String(f.message.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("counts"), w.StartObject();
  std::map<std::string, int> counts;
  for (const auto& f : r.findings) ++counts[f.check];
  for (const auto& [k, v] : counts) w.Key(k.c_str()), w.Int(v);
  w.EndObject();
  w.EndObject();
  out << buf.GetString() << "\n";
}

}  // namespace segx::dataset
