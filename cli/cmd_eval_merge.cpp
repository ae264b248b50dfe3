// `segx eval merge`: combines the partial files of `segx eval pq|miou --shard i/n` into exactly
// the result of one unsharded run (counts are integers, so the sum does not depend on order).
#include <algorithm>

#include "command.hpp"
#include "eval_common.hpp"
#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/metrics/semantic_report.hpp"

namespace segx::cli {

namespace {

struct MergeOptions {
  EvalCommonOptions common;
  std::vector<std::string> partials;
  std::string per_image, confusion;
};

struct PartialFile {
  std::string path;
  nlohmann::json json;
};

std::vector<PartialFile> read_partials(const std::vector<std::string>& paths) {
  std::vector<PartialFile> files;
  for (const auto& path : paths) {
    const std::string text = io::read_all(path);
    try {
      files.push_back({path, nlohmann::json::parse(text)});
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "'{}': not a partial file: {}", path, e.what());
    }
  }
  return files;
}

// Every shard of one run exactly once: same metric, inputs, options and shard count.
void check_shards(const std::vector<PartialFile>& files) {
  const auto& first = files.front();
  const int count = first.json.at("shard").at(1).get<int>();
  std::vector<std::string> seen(std::size_t(count) + 1);
  for (const auto& f : files) {
    const auto& j = f.json;
    if (j.value("metric", "") != first.json.value("metric", ""))
      fail(ErrorKind::DataError, "'{}' holds {} counts but '{}' holds {}", f.path,
           j.value("metric", "?"), first.path, first.json.value("metric", "?"));
    if (j.at("run") != first.json.at("run"))
      fail(ErrorKind::DataError, "'{}' and '{}' come from runs with different inputs or options",
           f.path, first.path);
    const int index = j.at("shard").at(0).get<int>();
    if (j.at("shard").at(1).get<int>() != count ||
        j.at("total_images") != first.json.at("total_images"))
      fail(ErrorKind::DataError, "'{}' and '{}' split the set differently", f.path, first.path);
    if (index < 1 || index > count)
      fail(ErrorKind::DataError, "'{}': shard {}/{} is out of range", f.path, index, count);
    if (!seen[std::size_t(index)].empty())
      fail(ErrorKind::DataError, "shard {}/{} is given twice: '{}' and '{}'", index, count,
           seen[std::size_t(index)], f.path);
    seen[std::size_t(index)] = f.path;
  }
  for (int i = 1; i <= count; ++i)
    if (seen[std::size_t(i)].empty()) fail(ErrorKind::NoInput, "shard {}/{} is missing", i, count);
}

int merge_pq(const MergeOptions& o, const std::vector<PartialFile>& files) {
  std::vector<metrics::PqPartial> parts;
  for (const auto& f : files) parts.push_back(metrics::pq_partial_from_json(f.json, f.path));
  std::vector<metrics::PanopticImageResult> images;
  for (auto& p : parts)
    for (auto& img : p.images) images.push_back(std::move(img));
  // Same order as the single run (GT order), so that --per-image is identical too.
  std::sort(images.begin(), images.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  for (std::size_t i = 0; i < images.size(); ++i)
    if (images[i].index != i || images.size() != parts.front().total_images)
      fail(ErrorKind::DataError,
           "the partial files do not cover the {} images of the set once each",
           parts.front().total_images);
  const metrics::PanopticCategories categories(parts.front().categories);
  return finish_pq_report(o.common, images, categories, parts.front().header, o.per_image);
}

int merge_miou(const MergeOptions& o, const std::vector<PartialFile>& files) {
  std::vector<metrics::SemanticPartial> parts;
  for (const auto& f : files) parts.push_back(metrics::semantic_partial_from_json(f.json, f.path));
  metrics::ConfusionMatrix matrix(int(parts.front().class_names.size()));
  std::size_t images = 0;
  for (const auto& p : parts) {
    if (p.class_names != parts.front().class_names)
      fail(ErrorKind::DataError, "the partial files disagree on the classes");
    matrix.merge(p.matrix);
    images += p.positions.size();
  }
  if (images != parts.front().total_images)
    fail(ErrorKind::DataError, "the partial files count {} images, the set has {}", images,
         parts.front().total_images);
  return finish_semantic_report(o.common, matrix, parts.front().class_names, parts.front().header,
                                images, o.confusion);
}

}  // namespace

Runner setup_eval_merge(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  app.add_option(
         "partials", o->partials,
         "the partial files of every shard (`segx eval pq|miou --shard i/n --partial FILE`)")
      ->required();
  app.add_option("--per-image", o->per_image, "PQ: write per-image JSON Lines to FILE")
      ->type_name("FILE");
  app.add_option("--confusion", o->confusion, "mIoU: write the confusion matrix as CSV to FILE")
      ->type_name("FILE");
  add_eval_common_options(app, o->common, EvalOptionSet::Merge);
  return [o]() {
    const auto files = read_partials(o->partials);
    try {
      check_shards(files);
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "malformed partial file: {}", e.what());
    }
    const std::string metric = files.front().json.value("metric", "");
    if (metric == "pq") return merge_pq(*o, files);
    if (metric == "miou") return merge_miou(*o, files);
    fail(ErrorKind::DataError, "'{}': unknown metric '{}' in partial file", files.front().path,
         metric);
  };
}

}  // namespace segx::cli
