// mIoU results as text (a per-class table and a summary line), JSON, the confusion matrix as CSV,
// and the partial accumulator files of `segx eval miou --shard`.
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "segx/metrics/report_info.hpp"
#include "segx/metrics/semantic_iou.hpp"

namespace segx::metrics {

// The summary metrics by name, for --fail-under: mIoU, fwIoU, aAcc, mAcc, mDice, mFscore, ...
std::map<std::string, double> semantic_metric_values(const SemanticSummary& summary);

void write_semantic_table(std::ostream& out, const SemanticSummary& summary,
                          const std::vector<std::string>& class_names);

nlohmann::json semantic_report_json(const SemanticSummary& summary,
                                    const std::vector<std::string>& class_names,
                                    const nlohmann::json& header, std::size_t images,
                                    const ConfusionMatrix& matrix);

// CSV: header "gt\pred,<class>...,<none>", then one row per GT class.
void write_confusion_csv(std::ostream& out, const ConfusionMatrix& matrix,
                         const std::vector<std::string>& class_names);

struct SemanticPartial {
  int shard_index = 1, shard_count = 1;
  std::size_t total_images = 0;
  std::vector<std::size_t> positions;  // the images this shard counted
  nlohmann::json header;
  std::vector<std::string> class_names;
  ConfusionMatrix matrix;
};

nlohmann::json semantic_partial_json(const SemanticPartial& partial);
SemanticPartial semantic_partial_from_json(const nlohmann::json& j, const std::string& name);

}  // namespace segx::metrics
