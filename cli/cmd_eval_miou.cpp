// `segx eval miou`: semantic segmentation IoU/mIoU/accuracy/Dice over folders of label PNGs.
#include <fstream>
#include <map>
#include <iostream>

#include "command.hpp"
#include "eval_common.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/dataset/cityscapes.hpp"
#include "segx/io/stream.hpp"
#include "segx/metrics/panoptic_inputs.hpp"
#include "segx/metrics/semantic_eval.hpp"
#include "segx/metrics/semantic_from_panoptic.hpp"
#include "segx/metrics/semantic_manifest.hpp"
#include "segx/metrics/pq_report.hpp"
#include "segx/metrics/semantic_report.hpp"

namespace segx::cli {

namespace {

struct MiouOptions {
  EvalCommonOptions common;
  std::string gt_dir, pred_dir;
  std::string gt_suffix = ".png", pred_suffix = ".png";
  int num_classes = 0;
  std::string classes_file;
  int ignore_index = 255;
  bool reduce_zero_label = false;
  std::string averaging = "mmseg";
  double beta = 1.0;
  std::string confusion;
  bool cityscapes_label_ids = false;
  std::string gt_json, pred_json, gt_manifest, pred_manifest;  // panoptic inputs
  std::string manifest_labels = "auto";  // which labels of manifest records: auto|panoptic|semantic
  std::map<std::string, CLI::Option*> given;  // option name -> option, to tell what was given
};

// Refuses the options of `names` that were given: they mean nothing for `input`.
void refuse_given(const MiouOptions& o, const std::vector<std::string>& names,
                  const std::string& input) {
  for (const auto& name : names)
    if (o.given.at(name)->count() > 0)
      fail(ErrorKind::Usage, "{} does not apply to {}", name, input);
}

// Each kind of input takes its own options; one that would be ignored is an error instead.
void check_options_apply(const MiouOptions& o, bool semantic_manifests) {
  const std::vector<std::string> label_png_options = {
      "--gt-suffix", "--pred-suffix", "--num-classes", "--classes", "--reduce-zero-label",
      "--cityscapes-label-ids"};
  if (!o.gt_manifest.empty() || !o.gt_json.empty()) {
    const std::string input =
        semantic_manifests ? "semantic manifests (classes and label values come from the headers)"
                           : "panoptic input (classes are the ground truth's categories)";
    refuse_given(o, label_png_options, input);
    if (!semantic_manifests) refuse_given(o, {"--ignore-index"}, input);
    if (!o.gt_manifest.empty()) refuse_given(o, {"--gt-dir"}, "--gt-manifest (its records name their files)");
    if (!o.pred_manifest.empty()) refuse_given(o, {"--pred-dir"}, "--pred-manifest (its records name their files)");
    if (semantic_manifests) refuse_given(o, {"--pred-json"}, input + "; give --pred-manifest");
  } else {
    refuse_given(o, {"--pred-json", "--pred-manifest"},
                 "label PNG folders; give --gt-json or --gt-manifest for panoptic ground truth");
  }
  if (o.gt_manifest.empty()) refuse_given(o, {"--manifest-labels"}, "input without --gt-manifest");
}

bool panoptic_input(const MiouOptions& o) {
  return !o.gt_json.empty() || !o.gt_manifest.empty();
}

// With --shard, writes this shard's counts for `segx eval merge`; otherwise the full report.
int write_partial_or_report(const MiouOptions& o, const std::optional<metrics::ShardSpec>& shard,
                            const std::vector<std::size_t>& positions, std::size_t total,
                            const std::vector<std::string>& names,
                            const metrics::ConfusionMatrix& matrix, const metrics::ReportInfo& info) {
  if (shard) {
    metrics::SemanticPartial partial{shard->index, shard->count, total, positions,
                                     metrics::report_header(info), names, matrix};
    write_partial(o.common.partial, metrics::semantic_partial_json(partial));
    return 0;
  }
  return finish_semantic_report(o.common, matrix, names, metrics::report_header(info), total,
                                o.confusion);
}

// Panoptic inputs: classes are the GT categories; counts come from segment overlaps.
int run_miou_panoptic(const MiouOptions& o, const std::optional<metrics::ShardSpec>& shard,
                      const metrics::ReportInfo& info) {
  metrics::PanopticSetSpec spec;
  spec.gt_json = o.gt_manifest.empty() ? o.gt_json : o.gt_manifest;
  spec.gt_is_manifest = !o.gt_manifest.empty();
  spec.pred_json = o.pred_manifest.empty() ? o.pred_json : o.pred_manifest;
  spec.pred_is_manifest = !o.pred_manifest.empty();
  if (spec.pred_json.empty()) fail(ErrorKind::Usage, "predictions are needed: --pred-json or --pred-manifest");
  spec.gt_dir = o.gt_dir;
  spec.pred_dir = o.pred_dir;
  spec.allow_missing = o.common.allow_missing;
  auto set = metrics::load_panoptic_set(spec);
  const std::size_t total = set.pairs.size();
  const std::vector<std::size_t> positions = keep_shard(set.pairs, shard);
  const metrics::PanopticCategories categories(set.categories);
  std::vector<std::string> names;
  for (const auto& c : categories.list()) names.push_back(c.name);
  const auto matrix = metrics::evaluate_semantic_from_panoptic(set.pairs, categories, o.common.threads);
  return write_partial_or_report(o, shard, positions, total, names, matrix, info);
}

// Manifests' sem_seg_file_name PNGs: classes and label values from the manifest headers.
int run_miou_semantic_manifests(const MiouOptions& o,
                                const std::optional<metrics::ShardSpec>& shard,
                                const metrics::ReportInfo& info) {
  if (o.pred_manifest.empty())
    fail(ErrorKind::Usage, "semantic labels of --gt-manifest need --pred-manifest");
  auto set = metrics::load_semantic_manifests(o.gt_manifest, o.pred_manifest, o.ignore_index,
                                              o.common.allow_missing);
  const std::size_t total = set.pairs.size();
  std::vector<std::size_t> positions;
  if (shard) {
    positions = metrics::shard_positions(total, *shard);
    std::vector<metrics::SemanticImagePair> subset;
    for (auto i : positions) subset.push_back(set.pairs[i]);
    set.pairs.swap(subset);
  }
  for (const auto& p : set.pairs)
    if (p.pred_png.empty()) log::warn("no prediction for '{}': counted as all misses", p.gt_png);
  metrics::SemanticEvalOptions eval;
  eval.threads = o.common.threads;
  const auto matrix = metrics::evaluate_semantic(set.pairs, int(set.class_names.size()),
                                                 set.gt_map, set.pred_map, eval);
  return write_partial_or_report(o, shard, positions, total, set.class_names, matrix, info);
}

bool semantic_manifests(const MiouOptions& o) {
  if (o.gt_manifest.empty()) return false;
  if (o.manifest_labels == "auto") return metrics::manifest_is_semantic(o.gt_manifest);
  return o.manifest_labels == "semantic";
}

std::vector<std::string> class_names(const MiouOptions& o) {
  std::vector<std::string> names;
  if (o.cityscapes_label_ids) {
    const auto cats = dataset::cityscapes_categories(/*train_ids=*/true);
    names.resize(cats.size());
    for (const auto& c : cats.list()) names.at(std::size_t(c.id)) = c.name;  // ids are trainIds
    return names;
  }
  if (!o.classes_file.empty()) {
    auto in = io::open_input(o.classes_file);
    for (std::string line; std::getline(*in, line);)
      if (!line.empty()) names.push_back(line);
    if (names.empty()) fail(ErrorKind::DataError, "'{}': no class names", o.classes_file);
    if (o.num_classes > 0 && std::size_t(o.num_classes) != names.size())
      fail(ErrorKind::Usage, "--num-classes {} but '{}' names {} classes", o.num_classes,
           o.classes_file, names.size());
  } else {
    if (o.num_classes <= 0) fail(ErrorKind::Usage, "give --num-classes N or --classes FILE");
    for (int c = 0; c < o.num_classes; ++c) names.push_back(std::to_string(c));
  }
  return names;
}

metrics::ReportInfo report_info(const MiouOptions& o) {
  metrics::ReportInfo info;
  for (const auto& [role, path] : std::vector<std::pair<const char*, std::string>>{
           {"gt_json", o.gt_json}, {"gt_manifest", o.gt_manifest}, {"gt_dir", o.gt_dir},
           {"pred_json", o.pred_json}, {"pred_manifest", o.pred_manifest}, {"pred_dir", o.pred_dir}})
    if (!path.empty()) info.inputs.push_back(metrics::describe_input(role, path));
  if (!o.classes_file.empty()) info.inputs.push_back(metrics::describe_input("classes", o.classes_file));
  info.options = {{"cityscapes_label_ids", o.cityscapes_label_ids},
                  {"ignore_index", o.ignore_index},     {"reduce_zero_label", o.reduce_zero_label},
                  {"averaging", o.averaging},           {"beta", o.beta},
                  {"gt_suffix", o.gt_suffix},           {"pred_suffix", o.pred_suffix},
                  {"allow_missing", o.common.allow_missing},
                  {"manifest_labels", o.manifest_labels}};
  return info;
}

int run_miou(const MiouOptions& o) {
  const auto shard = eval_shard(o.common);
  check_options_apply(o, semantic_manifests(o));
  if (semantic_manifests(o)) return run_miou_semantic_manifests(o, shard, report_info(o));
  if (panoptic_input(o)) return run_miou_panoptic(o, shard, report_info(o));
  if (o.gt_dir.empty() || o.pred_dir.empty())
    fail(ErrorKind::Usage, "give --gt-dir and --pred-dir (label PNG folders) or panoptic inputs");
  const auto names = class_names(o);
  const int k = int(names.size());
  metrics::LabelMap gt_map = o.reduce_zero_label
                                 ? metrics::LabelMap::reduce_zero_label(k, o.ignore_index)
                                 : metrics::LabelMap::identity(k, o.ignore_index);
  if (o.cityscapes_label_ids) {
    // labelIds 0..33 -> trainIds 0..18 or ignored (cityscapesScripts' labels.py).
    const auto table = dataset::cityscapes_label_to_train_id();
    gt_map = metrics::LabelMap();
    for (int v = 0; v < 256; ++v)
      gt_map.set(std::uint32_t(v), table[std::size_t(v)] == 255 ? metrics::LabelMap::kIgnore
                                                                 : std::int32_t(table[std::size_t(v)]));
  }
  const metrics::LabelMap pred_map = metrics::LabelMap::identity(k, o.ignore_index);
  auto pairs = metrics::pair_label_folders(o.gt_dir, o.pred_dir, o.gt_suffix, o.pred_suffix,
                                           o.common.allow_missing);
  const std::size_t total = pairs.size();
  std::vector<std::size_t> positions;
  if (shard) {
    positions = metrics::shard_positions(total, *shard);
    std::vector<metrics::SemanticImagePair> subset;
    for (auto i : positions) subset.push_back(pairs[i]);
    pairs.swap(subset);
  }
  for (const auto& p : pairs)
    if (p.pred_png.empty()) log::warn("no prediction for '{}': counted as all misses", p.gt_png);
  metrics::SemanticEvalOptions eval;
  eval.threads = o.common.threads;
  const auto matrix = metrics::evaluate_semantic(pairs, k, gt_map, pred_map, eval);
  const auto info = report_info(o);
  return write_partial_or_report(o, shard, positions, total, names, matrix, info);
}

}  // namespace

int finish_semantic_report(const EvalCommonOptions& common, const metrics::ConfusionMatrix& matrix,
                           const std::vector<std::string>& names, const nlohmann::json& header,
                           std::size_t images, const std::string& confusion) {
  const auto& options = header.at("options");
  const std::string averaging = options.value("averaging", std::string("mmseg"));
  const double beta = options.value("beta", 1.0);
  const auto summary = metrics::summarize_semantic(
      matrix, averaging == "detectron2" ? metrics::IouAveraging::Detectron2 : metrics::IouAveraging::MMSeg,
      beta);
  if (!confusion.empty()) {
    io::AtomicOutput out(confusion);
    metrics::write_confusion_csv(out.stream(), matrix, names);
    out.commit();
  }
  return finish_eval(
      common, [&](std::ostream& out) { metrics::write_semantic_table(out, summary, names); },
      metrics::semantic_report_json(summary, names, header, images, matrix),
      metrics::semantic_metric_values(summary));
}

Runner setup_eval_miou(CLI::App& app) {
  auto o = std::make_shared<MiouOptions>();
  app.add_option("--gt-dir", o->gt_dir,
                 "folder of ground-truth label PNGs (searched recursively); with --gt-json, the "
                 "panoptic PNG folder");
  app.add_option("--pred-dir", o->pred_dir,
                 "folder of predicted label PNGs, same relative paths; with --pred-json, the "
                 "panoptic PNG folder");
  app.add_option("--gt-json", o->gt_json,
                 "COCO panoptic GT instead of label PNGs: classes are its categories")
      ->type_name("FILE");
  app.add_option("--pred-json", o->pred_json, "COCO panoptic predictions")->type_name("FILE");
  app.add_option("--gt-manifest", o->gt_manifest, "segx manifest with panoptic GT (PNG or RLE)")
      ->type_name("FILE");
  app.add_option("--pred-manifest", o->pred_manifest,
                 "segx manifest with panoptic predictions (RLE: no PNG decoded)")
      ->type_name("FILE");
  app.add_option("--manifest-labels", o->manifest_labels,
                 "which labels of manifest records to evaluate: semantic (sem_seg_file_name, "
                 "classes from the headers' semantic_ids), panoptic, or auto (semantic when the "
                 "first GT record has sem_seg_file_name and no segments_info)")
      ->check(CLI::IsMember({"auto", "panoptic", "semantic"}))
      ->default_val("auto");
  app.add_option("--gt-suffix", o->gt_suffix,
                 "file name ending of GT files, replaced by --pred-suffix to find the prediction "
                 "(e.g. _gtFine_labelTrainIds.png)")
      ->default_val(".png");
  app.add_option("--pred-suffix", o->pred_suffix, "file name ending of prediction files")
      ->default_val(".png");
  app.add_option("--num-classes", o->num_classes, "number of classes (label values 0..N-1)");
  app.add_option("--classes", o->classes_file, "file with one class name per line (sets N)")
      ->type_name("FILE");
  app.add_option("--ignore-index", o->ignore_index,
                 "label value that is not evaluated (-1: none)")
      ->default_val(255);
  app.add_flag("--reduce-zero-label", o->reduce_zero_label,
               "as MMSeg: GT 0 is ignored and GT v becomes class v-1 (ADE20K)");
  app.add_flag("--cityscapes-label-ids", o->cityscapes_label_ids,
               "GT PNGs hold Cityscapes labelIds: evaluate the 19 trainId classes (predictions "
               "in trainIds, 255 ignored)");
  app.add_option("--averaging", o->averaging,
                 "which classes mIoU averages: mmseg (present in GT or prediction) or detectron2 "
                 "(with GT pixels)")
      ->check(CLI::IsMember({"mmseg", "detectron2"}))
      ->default_val("mmseg");
  app.add_option("--beta", o->beta, "weight of recall in the F-score")->default_val(1.0);
  app.add_option("--confusion", o->confusion, "write the confusion matrix as CSV to FILE")
      ->type_name("FILE");
  add_eval_common_options(app, o->common);
  for (const char* name : {"--gt-dir", "--pred-dir", "--pred-json", "--pred-manifest",
                           "--manifest-labels", "--gt-suffix", "--pred-suffix", "--num-classes",
                           "--classes", "--ignore-index", "--reduce-zero-label",
                           "--cityscapes-label-ids"})
    o->given[name] = app.get_option(name);
  return [o]() {
    if (!o->confusion.empty() && !o->common.shard.empty())
      fail(ErrorKind::Usage, "--confusion belongs to `segx eval merge` when --shard is used");
    return run_miou(*o);
  };
}

}  // namespace segx::cli
