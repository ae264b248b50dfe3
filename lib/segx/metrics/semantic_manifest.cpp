// sem_seg_file_name pairs of two manifests and the label maps their headers describe.
#include "segx/metrics/semantic_manifest.hpp"

#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/stream.hpp"

namespace segx::metrics {

namespace {

SemanticScheme scheme_of(const dataset::ManifestHeader& h, const std::string& path,
                         int ignore_value) {
  SemanticScheme s;
  const auto& cats = h.categories.list();
  if (cats.empty()) fail(ErrorKind::DataError, "'{}': the header lists no categories", path);
  const std::string ids = h.semantic_ids.empty() ? "category" : h.semantic_ids;
  bool reduce_zero = false;
  if (const auto* r = dataset::find_member(h.json, "reduce_zero_label"); r && r->IsBool())
    reduce_zero = r->GetBool();
  std::vector<std::pair<int, std::int32_t>> table;
  if (ids == "category" || ids == "contiguous") {
    for (std::size_t i = 0; i < cats.size(); ++i) {
      s.class_names.push_back(cats[i].name);
      s.class_ids.push_back(cats[i].id);
    }
    if (ids == "contiguous") {
      s.map = LabelMap::identity(int(cats.size()), 255);
    } else if (reduce_zero) {
      s.map = LabelMap::reduce_zero_label(int(cats.size()), 255);
    } else {
      table.push_back({0, LabelMap::kIgnore});
      for (std::size_t i = 0; i < cats.size(); ++i) {
        if (cats[i].id <= 0 || cats[i].id > 65535)
          fail(ErrorKind::DataError, "'{}': category id {} cannot be a label value", path,
               cats[i].id);
        table.push_back({int(cats[i].id), std::int32_t(i)});
      }
      s.map = LabelMap::from_table(table);
    }
  } else if (ids == "panoptic_fpn") {
    s.class_names.push_back("things");
    s.class_ids.push_back(-1);
    table.push_back({0, 0});
    table.push_back({255, LabelMap::kIgnore});
    for (const auto& c : cats)
      if (!c.isthing) {
        table.push_back({int(s.class_names.size()), std::int32_t(s.class_names.size())});
        s.class_names.push_back(c.name);
        s.class_ids.push_back(c.id);
      }
    s.map = LabelMap::from_table(table);
  } else {
    fail(ErrorKind::DataError,
         "'{}': unknown semantic_ids '{}' (category, contiguous, panoptic_fpn)", path, ids);
  }
  if (ignore_value >= 0 && ignore_value < 65536)
    s.map.set(std::uint32_t(ignore_value), LabelMap::kIgnore);
  return s;
}

struct Records {
  SemanticScheme scheme;
  std::vector<std::pair<std::string, std::string>> files;  // image id, label PNG (resolved)
};

Records read_records(const std::string& path, int ignore_value, bool required) {
  dataset::ManifestReader reader(path);
  Records r{scheme_of(reader.header(), path, ignore_value), {}};
  std::unordered_map<std::string, long> seen;
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    std::string id = dataset::record_image_id(rec);
    if (!seen.emplace(id, reader.line()).second)
      fail(ErrorKind::DataError, "{}: image id {} is listed twice", where, id);
    const auto* sem = dataset::find_member(rec, "sem_seg_file_name");
    if (!sem || !sem->IsString()) {
      if (required) fail(ErrorKind::DataError, "{}: image {} has no sem_seg_file_name", where, id);
      continue;
    }
    r.files.emplace_back(std::move(id), reader.resolve(sem->GetString()));
  }
  return r;
}

}  // namespace

SemanticScheme semantic_scheme_of(const std::string& manifest, int ignore_value) {
  dataset::ManifestReader reader(manifest);
  return scheme_of(reader.header(), manifest, ignore_value);
}

SemanticManifestSet load_semantic_manifests(const std::string& gt_manifest,
                                            const std::string& pred_manifest, int ignore_value,
                                            bool allow_missing) {
  Records gt = read_records(gt_manifest, ignore_value, true);
  Records pred = read_records(pred_manifest, ignore_value, false);
  if (gt.scheme.class_ids != pred.scheme.class_ids)
    fail(ErrorKind::Config,
         "'{}' and '{}' describe different classes ({} and {}); their headers must list the same "
         "categories",
         gt_manifest, pred_manifest, gt.scheme.class_ids.size(), pred.scheme.class_ids.size());
  std::unordered_map<std::string, std::size_t> gt_index, pred_index;
  for (std::size_t i = 0; i < gt.files.size(); ++i) gt_index.emplace(gt.files[i].first, i);
  for (std::size_t i = 0; i < pred.files.size(); ++i) {
    if (!gt_index.count(pred.files[i].first))
      fail(ErrorKind::DataError, "'{}': prediction for image id {}, which is not in '{}'",
           pred_manifest, pred.files[i].first, gt_manifest);
    pred_index.emplace(pred.files[i].first, i);
  }
  SemanticManifestSet set;
  set.class_names = gt.scheme.class_names;
  set.gt_map = std::move(gt.scheme.map);
  set.pred_map = std::move(pred.scheme.map);
  for (auto& [id, png] : gt.files) {
    SemanticImagePair p{id, png, ""};
    auto it = pred_index.find(id);
    if (it != pred_index.end()) p.pred_png = pred.files[it->second].second;
    if (p.pred_png.empty() || !std::filesystem::is_regular_file(p.pred_png)) {
      if (!allow_missing) {
        if (p.pred_png.empty())
          fail(ErrorKind::NoInput,
               "'{}': no semantic prediction for the image with id {} (--allow-missing counts it "
               "as all misses)",
               pred_manifest, id);
        fail(ErrorKind::NoInput,
             "cannot open '{}': No such file or directory (prediction for image {}; "
             "--allow-missing counts it as all misses)",
             p.pred_png, id);
      }
      p.pred_png.clear();
    }
    set.pairs.push_back(std::move(p));
  }
  return set;
}

bool manifest_is_semantic(const std::string& manifest) {
  if (io::is_std_stream(manifest)) return false;
  dataset::ManifestReader reader(manifest);
  dataset::JsonDocument rec;
  if (!reader.next(rec)) return false;
  return dataset::find_member(rec, "sem_seg_file_name") != nullptr &&
         dataset::find_member(rec, "segments_info") == nullptr;
}

}  // namespace segx::metrics
