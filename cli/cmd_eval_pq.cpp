// `segx eval pq`: panoptic quality as panopticapi pq_compute, from COCO panoptic JSON + PNGs or
// segx manifests (PNG or RLE segments).
#include <iostream>

#include "command.hpp"
#include "eval_common.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/stream.hpp"
#include "segx/metrics/panoptic_inputs.hpp"
#include "segx/metrics/pq_report.hpp"

namespace segx::cli {

namespace {

struct PqOptions {
  EvalCommonOptions common;
  metrics::PanopticSetSpec spec;
  std::string gt_manifest, pred_manifest;
  std::string per_image;
};

std::map<std::string, double> pq_metric_values(const metrics::PqSummary& s) {
  return {{"PQ", s.all.pq},      {"SQ", s.all.sq},      {"RQ", s.all.rq},
          {"PQ_th", s.things.pq}, {"SQ_th", s.things.sq}, {"RQ_th", s.things.rq},
          {"PQ_st", s.stuff.pq},  {"SQ_st", s.stuff.sq},  {"RQ_st", s.stuff.rq}};
}

metrics::ReportInfo report_info(const metrics::PanopticSetSpec& spec) {
  metrics::ReportInfo info;
  auto add = [&](const char* role, const std::string& path) {
    if (!path.empty()) info.inputs.push_back(metrics::describe_input(role, path));
  };
  add(spec.gt_is_manifest ? "gt_manifest" : "gt_json", spec.gt_json);
  add("gt_dir", spec.gt_dir);
  add(spec.pred_is_manifest ? "pred_manifest" : "pred_json", spec.pred_json);
  add("pred_dir", spec.pred_dir);
  info.options = {{"allow_missing", spec.allow_missing}};
  return info;
}

int run_pq(PqOptions& o) {
  const auto shard = eval_shard(o.common);
  auto& spec = o.spec;
  if (!o.gt_manifest.empty()) {
    if (!spec.gt_json.empty()) fail(ErrorKind::Usage, "give --gt-json or --gt-manifest, not both");
    spec.gt_json = o.gt_manifest;
    spec.gt_is_manifest = true;
  }
  if (!o.pred_manifest.empty()) {
    if (!spec.pred_json.empty()) fail(ErrorKind::Usage, "give --pred-json or --pred-manifest, not both");
    spec.pred_json = o.pred_manifest;
    spec.pred_is_manifest = true;
  }
  if (spec.gt_json.empty()) fail(ErrorKind::Usage, "the ground truth is needed: --gt-json or --gt-manifest");
  if (spec.pred_json.empty()) fail(ErrorKind::Usage, "predictions are needed: --pred-json or --pred-manifest");
  spec.allow_missing = o.common.allow_missing;

  metrics::PanopticSet set = metrics::load_panoptic_set(spec);
  if (set.missing_predictions)
    log::warn("{} of {} images have no prediction: their segments count as false negatives",
              set.missing_predictions, set.pairs.size());
  const std::size_t total = set.pairs.size();
  const std::vector<std::size_t> positions = keep_shard(set.pairs, shard);
  const metrics::PanopticCategories categories(set.categories);
  metrics::PanopticEvalOptions eval;
  eval.threads = o.common.threads;
  auto images = metrics::evaluate_panoptic(set.pairs, positions, categories, eval);
  const auto info = report_info(spec);
  if (shard) {
    metrics::PqPartial partial{*shard, total, metrics::report_header(info), categories.list(),
                               std::move(images)};
    write_partial(o.common.partial, metrics::pq_partial_json(partial));
    return 0;
  }
  return finish_pq_report(o.common, images, categories, metrics::report_header(info), o.per_image);
}

}  // namespace

int finish_pq_report(const EvalCommonOptions& common,
                     const std::vector<metrics::PanopticImageResult>& images,
                     const metrics::PanopticCategories& categories, const nlohmann::json& header,
                     const std::string& per_image) {
  const auto summary = metrics::summarize_pq(metrics::accumulate(images).stats(), categories);
  if (!per_image.empty()) {
    io::AtomicOutput out(per_image);
    metrics::write_pq_per_image(out.stream(), images, categories);
    out.commit();
  }
  return finish_eval(
      common, [&](std::ostream& out) { metrics::write_pq_table(out, summary); },
      metrics::pq_report_json(summary, header, images.size()), pq_metric_values(summary));
}

Runner setup_eval_pq(CLI::App& app) {
  auto o = std::make_shared<PqOptions>();
  app.add_option("--gt-json", o->spec.gt_json, "COCO panoptic ground-truth JSON")->type_name("FILE");
  app.add_option("--gt-dir", o->spec.gt_dir,
                 "folder of ground-truth PNGs (default: the JSON path without .json)")
      ->type_name("DIR");
  app.add_option("--pred-json", o->spec.pred_json, "COCO panoptic prediction JSON")
      ->type_name("FILE");
  app.add_option("--pred-dir", o->spec.pred_dir,
                 "folder of prediction PNGs (default: the JSON path without .json)")
      ->type_name("DIR");
  app.add_option("--gt-manifest", o->gt_manifest, "segx manifest with the ground truth")
      ->type_name("FILE");
  app.add_option("--pred-manifest", o->pred_manifest,
                 "segx manifest with predictions (PNG or RLE segments; RLE needs no PNG decoding)")
      ->type_name("FILE");
  app.add_option("--per-image", o->per_image,
                 "write per-image counts and PQ as JSON Lines to FILE ('-': stdout)")
      ->type_name("FILE");
  add_eval_common_options(app, o->common);
  return [o]() { return run_pq(*o); };
}

}  // namespace segx::cli
