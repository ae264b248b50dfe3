// `segx eval ap`: COCO AP for bbox and segm, as pycocotools COCOeval prints it.
#include <chrono>
#include <iostream>

#include "command.hpp"
#include "eval_common.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/metrics/coco_eval.hpp"
#include "segx/metrics/coco_report.hpp"
#include "segx/metrics/report_info.hpp"

namespace segx::cli {

namespace {

struct EvalApOptions {
  std::string gt, results, iou_type = "segm";
  std::vector<int> max_dets{1, 10, 100};
  EvalCommonOptions common;
  bool per_class = false;
};

int run_eval_ap(const EvalApOptions& o) {
  using namespace segx::metrics;
  if (o.max_dets.size() != 3)
    fail(ErrorKind::Usage, "--max-dets takes three limits (e.g. 1,10,100), got {}",
         o.max_dets.size());
  for (int m : o.max_dets)
    if (m < 1) fail(ErrorKind::Usage, "--max-dets limits must be positive, got {}", m);
  const CocoIouType type = o.iou_type == "bbox" ? CocoIouType::Bbox : CocoIouType::Segm;
  CocoReadOptions read;
  read.masks = type == CocoIouType::Segm;
  read.boxes = type == CocoIouType::Bbox;
  read.threads = o.common.threads;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const CocoGroundTruth gt = read_coco_ground_truth(o.gt, read);
  const CocoResults dt = read_coco_results(o.results, gt, read);
  log::info("{} images, {} categories, {} annotations, {} detections", gt.images.size(),
            gt.categories.size(), gt.annotations.size(), dt.detections.size());
  CocoEvalParams params;
  params.iou_type = type;
  params.max_dets = o.max_dets;
  params.threads = o.common.threads;
  const auto t1 = Clock::now();
  const CocoEvalResult result = coco_evaluate(gt, dt, params);
  log::info("loading {:.3f} s, evaluation {:.3f} s", std::chrono::duration<double>(t1 - t0).count(),
            std::chrono::duration<double>(Clock::now() - t1).count());
  const auto stats = coco_summarize(result);
  const auto per_category = coco_per_category_ap(result);

  // The report (its header hashes both input files) only when --json asks for it.
  auto report = [&] {
    ReportInfo info;
    info.inputs.push_back(describe_input("gt_json", o.gt));
    info.inputs.push_back(describe_input("results_json", o.results));
    info.options = {{"iou_type", o.iou_type}, {"max_dets", result.max_dets}};
    return coco_report_json(report_header(info), type, gt, result, stats, per_category);
  };
  return finish_eval(
      o.common,
      [&](std::ostream& text) {
        write_coco_summary(text, stats);
        if (o.per_class) {
          text << '\n';
          write_coco_per_category(text, gt, per_category);
        }
      },
      report, coco_named_stats(stats));
}

}  // namespace

Runner setup_eval_ap(CLI::App& app) {
  auto o = std::make_shared<EvalApOptions>();
  app.add_option("--gt", o->gt, "ground truth: COCO instances JSON")->required();
  app.add_option("--results", o->results, "detections: COCO results JSON (a list)")->required();
  app.add_option("--iou-type", o->iou_type, "overlap of masks (segm) or boxes (bbox)")
      ->check(CLI::IsMember({"segm", "bbox"}))
      ->capture_default_str();
  app.add_option("--max-dets", o->max_dets,
                 "the three detection limits per image for AR (the largest also for AP)")
      ->delimiter(',')
      ->capture_default_str();
  add_eval_common_options(app, o->common, EvalOptionSet::Unsharded);
  app.add_flag("--per-class", o->per_class, "also print AP per category");
  app.footer(
      "Numbers equal pycocotools COCOeval: 10 IoU thresholds, 101 recall points, area ranges on "
      "the ground truth's stored area, crowd regions matched by intersection over detection area. "
      "--fail-under names (default --max-dets): AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, "
      "ARs, ARm, ARl.");
  return [o]() { return run_eval_ap(*o); };
}

}  // namespace segx::cli
