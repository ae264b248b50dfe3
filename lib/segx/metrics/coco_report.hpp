// COCO AP reports: named stats for --fail-under, the printed summary and per-category table, and
// the --json report (stats, per-category AP, precision/recall/scores arrays).
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "segx/metrics/coco_eval.hpp"

namespace segx::metrics {

// "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"
// (the AR names follow the maxDets actually used).
std::vector<std::string> coco_stat_names(const std::vector<CocoStat>& stats);
std::map<std::string, double> coco_named_stats(const std::vector<CocoStat>& stats);

// The 12 lines exactly as pycocotools prints them.
void write_coco_summary(std::ostream& out, const std::vector<CocoStat>& stats);
// category id, name, AP (-1 shown as "nan" like detectron2's table would skip it).
void write_coco_per_category(std::ostream& out, const CocoGroundTruth& gt,
                             const std::vector<double>& ap);

// The JSON report body; `header` (report_header()) is merged in first.
nlohmann::json coco_report_json(const nlohmann::json& header, CocoIouType type,
                                const CocoGroundTruth& gt, const CocoEvalResult& r,
                                const std::vector<CocoStat>& stats,
                                const std::vector<double>& per_category_ap);

}  // namespace segx::metrics
