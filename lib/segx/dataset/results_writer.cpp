// Panoptic predictions into COCO results JSON, one result per scored segment.
#include "segx/dataset/results_writer.hpp"

#include <ostream>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_instances.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/mask/rle.hpp"

namespace segx::dataset {

namespace {

struct Result {
  std::string image_id;  // the id's JSON text, written as is
  int64_t category_id = 0;
  double score = 0;
  mask::Rle rle;
};

// Writes the list; rapidjson prints doubles in their shortest round-trip form, so scores survive.
void write_results(const std::vector<std::vector<Result>>& per_image, bool bbox,
                   std::ostream& out) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& image : per_image)
    for (const auto& r : image) {
      w.StartObject();
      w.Key("image_id"), w.RawValue(r.image_id.c_str(), r.image_id.size(), rapidjson::kNumberType);
      w.Key("category_id"), w.Int64(r.category_id);
      w.Key("segmentation"), write_rle_json(w, r.rle);
      w.Key("score"), w.Double(r.score);
      if (bbox) {
        const mask::Box b = mask::to_bbox(r.rle);
        w.Key("bbox"), w.StartArray();
        for (double v : b) w.Double(v);
        w.EndArray();
      }
      w.EndObject();
    }
  w.EndArray();
  out.write(buf.GetString(), std::streamsize(buf.GetSize()));
  out.put('\n');
}

// Whether a segment becomes a result, and with which score; errors name `where`.
bool keep(const CategorySet& cats, int64_t category_id, std::optional<double> score,
          const ResultsOptions& o, const std::string& where, double& score_out) {
  const Category* c = cats.find(category_id);
  if (!c) fail(ErrorKind::DataError, "{}: unknown category_id {}", where, category_id);
  if (o.things_only && !c->isthing) return false;
  if (!score && !o.default_score)
    fail(ErrorKind::DataError, "{}: a segment without \"score\" (give --default-score)", where);
  score_out = score ? *score : *o.default_score;
  return score_out >= o.min_score;
}

// The segments of one id map, as results.
void png_results(const io::PanopticIds& ids, const std::vector<PanopticSegment>& segments,
                 const std::string& image_id, const CategorySet& cats, const ResultsOptions& o,
                 const std::string& where, std::vector<Result>& out) {
  const auto h = uint32_t(ids.height), w = uint32_t(ids.width);
  const auto labels = mask::encode_labels(ids.ids.data(), h, w);
  for (const auto& s : segments) {
    double score = 0;
    const std::string seg_where = where + ": segment " + std::to_string(s.id);
    if (!keep(cats, s.category_id, s.score, o, seg_where, score)) continue;
    auto it = std::lower_bound(labels.begin(), labels.end(), s.id,
                               [](const auto& p, uint32_t v) { return p.first < v; });
    if (it == labels.end() || it->first != s.id)
      fail(ErrorKind::DataError, "{}: segment {} has no pixel in the PNG", where, s.id);
    out.push_back({image_id, s.category_id, score, it->second});
  }
}

}  // namespace

void panoptic_to_results(const CocoPanoptic& in, const ResultsOptions& o, std::ostream& out) {
  std::vector<std::vector<Result>> per_image(in.annotations.size());
  Progress progress("panoptic -> results", in.annotations.size());
  const int threads = resolve_threads(o.threads);
  std::vector<io::PanopticIds> buffers(static_cast<std::size_t>(threads));
  parallel_for(in.annotations.size(), threads, [&](std::size_t i, int worker) {
    const PanopticAnnotation& a = in.annotations[i];
    io::PanopticIds& ids = buffers[std::size_t(worker)];
    io::read_panoptic_png(in.png_path(a), ids);
    if ((a.width && a.width != ids.width) || (a.height && a.height != ids.height))
      fail(ErrorKind::DataError, "{}: PNG '{}' is {}x{} but the image is {}x{}", in.where(a),
           in.png_path(a), ids.width, ids.height, a.width, a.height);
    png_results(ids, a.segments, id_text(*a.image_id), in.categories, o, in.where(a), per_image[i]);
    progress.advance();
  });
  progress.finish();
  write_results(per_image, o.bbox, out);
}

void manifest_to_results(const std::string& manifest, const ResultsOptions& o, std::ostream& out) {
  ManifestReader reader(manifest);
  const CategorySet& cats = reader.header().categories;
  std::vector<std::vector<Result>> per_image;
  JsonDocument rec;
  io::PanopticIds ids;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    const std::string image_id = id_text(member(rec, "image_id", where));
    std::vector<Result> results;
    if (const auto* info = find_member(rec, "segments_info")) {
      const auto segments = parse_segments_info(*info, where);
      const auto* png = find_member(rec, "pan_seg_file_name");
      if (png && png->IsString()) {
        io::read_panoptic_png(reader.resolve(png->GetString()), ids);
        png_results(ids, segments, image_id, cats, o, where, results);
      } else {
        const auto h = uint32_t(get_int(rec, "height", where));
        const auto w = uint32_t(get_int(rec, "width", where));
        for (std::size_t i = 0; i < segments.size(); ++i) {
          const auto& s = segments[i];
          const std::string seg_where = where + ": segment " + std::to_string(s.id);
          const auto* seg = find_member((*info)[rapidjson::SizeType(i)], "segmentation");
          if (!seg)
            fail(ErrorKind::DataError, "{}: neither pan_seg_file_name nor segmentation", seg_where);
          double score = 0;
          if (!keep(cats, s.category_id, s.score, o, seg_where, score)) continue;
          results.push_back(
              {image_id, s.category_id, score, segmentation_to_rle(*seg, h, w, seg_where)});
        }
      }
    } else {
      const auto h = uint32_t(get_int(rec, "height", where));
      const auto w = uint32_t(get_int(rec, "width", where));
      for (const auto& a : get_array(rec, "annotations", where).GetArray()) {
        std::optional<double> s;
        if (const auto* v = find_member(a, "score"); v && v->IsNumber()) s = v->GetDouble();
        const int64_t cat = get_int(a, "category_id", where);
        double score = 0;
        if (!keep(cats, cat, s, o, where, score)) continue;
        const auto* seg = find_member(a, "segmentation");
        if (!seg) fail(ErrorKind::DataError, "{}: an annotation without segmentation", where);
        results.push_back({image_id, cat, score, segmentation_to_rle(*seg, h, w, where)});
      }
    }
    per_image.push_back(std::move(results));
  }
  write_results(per_image, o.bbox, out);
}

}  // namespace segx::dataset
