// Text and JSON renderings of a COCO AP evaluation.
#include "segx/metrics/coco_report.hpp"

#include <fmt/format.h>

namespace segx::metrics {

std::vector<std::string> coco_stat_names(const std::vector<CocoStat>& stats) {
  std::vector<std::string> names;
  for (const CocoStat& s : stats) {
    std::string n = s.ap ? "AP" : "AR";
    if (s.iou == 0.5) n += "50";
    if (s.iou == 0.75) n += "75";
    if (s.area != "all")
      n += s.area.substr(0, 1);
    else if (!s.ap)
      n += std::to_string(s.max_dets);
    names.push_back(n);
  }
  return names;
}

std::map<std::string, double> coco_named_stats(const std::vector<CocoStat>& stats) {
  std::map<std::string, double> out;
  const auto names = coco_stat_names(stats);
  for (size_t i = 0; i < stats.size(); ++i) out.emplace(names[i], stats[i].value);
  return out;
}

void write_coco_summary(std::ostream& out, const std::vector<CocoStat>& stats) {
  for (const CocoStat& s : stats) out << format_stat(s) << '\n';
}

void write_coco_per_category(std::ostream& out, const CocoGroundTruth& gt,
                             const std::vector<double>& ap) {
  size_t width = 8;
  for (const auto& c : gt.categories) width = std::max(width, c.name.size());
  out << fmt::format("{:>8}  {:<{}}  {:>7}\n", "id", "category", width, "AP");
  for (size_t k = 0; k < gt.categories.size(); ++k) {
    const std::string value = ap[k] < 0 ? "-" : fmt::format("{:.3f}", ap[k] * 100);
    out << fmt::format("{:>8}  {:<{}}  {:>7}\n", gt.categories[k].id, gt.categories[k].name, width,
                       value);
  }
}

nlohmann::json coco_report_json(const nlohmann::json& header, CocoIouType type,
                                const CocoGroundTruth& gt, const CocoEvalResult& r,
                                const std::vector<CocoStat>& stats,
                                const std::vector<double>& per_category_ap) {
  nlohmann::json j = header;
  j["metric"] = "coco_ap";
  j["iou_type"] = type == CocoIouType::Segm ? "segm" : "bbox";
  const auto names = coco_stat_names(stats);
  nlohmann::json named = nlohmann::json::object(), lines = nlohmann::json::array();
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < stats.size(); ++i) {
    named[names[i]] = stats[i].value;
    list.push_back(stats[i].value);
    lines.push_back(format_stat(stats[i]));
  }
  j["stats"] = named;
  j["stats_list"] = list;  // COCOeval.stats order
  j["summary"] = lines;
  nlohmann::json cats = nlohmann::json::array();
  for (size_t k = 0; k < gt.categories.size(); ++k)
    cats.push_back(
        {{"id", gt.categories[k].id}, {"name", gt.categories[k].name}, {"AP", per_category_ap[k]}});
  j["per_category"] = cats;
  j["params"] = {{"iou_thresholds", r.iou_thresholds},
                 {"recall_thresholds", r.recall_thresholds},
                 {"max_dets", r.max_dets},
                 {"area_ranges", {"all", "small", "medium", "large"}},
                 {"category_ids", nlohmann::json::array()}};
  for (const auto& c : gt.categories) j["params"]["category_ids"].push_back(c.id);
  // COCOeval.eval arrays, flattened in C order with their shape.
  j["precision"] = {{"shape", {r.T, r.R, r.K, r.A, r.M}}, {"data", r.precision}};
  j["recall"] = {{"shape", {r.T, r.K, r.A, r.M}}, {"data", r.recall}};
  j["scores"] = {{"shape", {r.T, r.R, r.K, r.A, r.M}}, {"data", r.scores}};
  return j;
}

}  // namespace segx::metrics
