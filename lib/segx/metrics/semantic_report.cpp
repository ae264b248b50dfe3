// mIoU tables, JSON reports, confusion CSV and partial files.
#include "segx/metrics/semantic_report.hpp"

#include <cmath>
#include <ostream>

#include "segx/core/error.hpp"
#include "segx/metrics/report_info.hpp"

namespace segx::metrics {

namespace {
// JSON has no NaN: undefined values are written as null.
nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
std::string percent(double v) { return std::isnan(v) ? "  nan" : fmt::format("{:5.2f}", 100 * v); }
}  // namespace

std::map<std::string, double> semantic_metric_values(const SemanticSummary& s) {
  return {{"mIoU", s.miou},       {"fwIoU", s.fwiou},         {"aAcc", s.aacc},
          {"mAcc", s.macc},       {"mDice", s.mdice},         {"mFscore", s.mfscore},
          {"mPrecision", s.mprecision}, {"mRecall", s.mrecall}};
}

void write_semantic_table(std::ostream& out, const SemanticSummary& s,
                          const std::vector<std::string>& names) {
  out << fmt::format("{:20s}| {:>6s} {:>6s} {:>6s} {:>6s}\n", "Class", "IoU", "Acc", "Dice", "Fscore");
  out << std::string(20 + 29, '-') << "\n";
  for (std::size_t c = 0; c < s.per_class.size(); ++c) {
    const auto& r = s.per_class[c];
    out << fmt::format("{:20s}| {:>6s} {:>6s} {:>6s} {:>6s}\n", names[c], percent(r.iou),
                       percent(r.acc), percent(r.dice), percent(r.fscore));
  }
  out << std::string(20 + 29, '-') << "\n";
  out << fmt::format("{:>6s} {:>6s} {:>6s} {:>6s} {:>6s} {:>7s} {:>5s}\n", "mIoU", "fwIoU", "aAcc",
                     "mAcc", "mDice", "mFscore", "N");
  out << fmt::format("{:>6s} {:>6s} {:>6s} {:>6s} {:>6s} {:>7s} {:5d}\n", percent(s.miou),
                     percent(s.fwiou), percent(s.aacc), percent(s.macc), percent(s.mdice),
                     percent(s.mfscore), s.classes_averaged);
}

nlohmann::json semantic_report_json(const SemanticSummary& s, const std::vector<std::string>& names,
                                    const nlohmann::json& header, std::size_t images,
                                    const ConfusionMatrix& matrix) {
  nlohmann::json j = header;
  j["metric"] = "miou";
  j["images"] = images;
  for (const auto& [name, v] : semantic_metric_values(s)) j[name] = number(v);
  j["classes_averaged"] = s.classes_averaged;
  nlohmann::json per_class = nlohmann::json::array();
  for (std::size_t c = 0; c < s.per_class.size(); ++c) {
    const auto& r = s.per_class[c];
    per_class.push_back({{"class", c},
                         {"name", names[c]},
                         {"IoU", number(r.iou)},
                         {"Acc", number(r.acc)},
                         {"Dice", number(r.dice)},
                         {"Precision", number(r.precision)},
                         {"Recall", number(r.recall)},
                         {"Fscore", number(r.fscore)},
                         {"gt_pixels", r.gt_pixels},
                         {"pred_pixels", r.pred_pixels},
                         {"intersection", r.intersection}});
  }
  j["per_class"] = std::move(per_class);
  nlohmann::json rows = nlohmann::json::array();
  for (int g = 0; g < matrix.num_classes(); ++g) {
    nlohmann::json row = nlohmann::json::array();
    for (int p = 0; p <= matrix.num_classes(); ++p) row.push_back(matrix.at(g, p));
    rows.push_back(std::move(row));
  }
  j["confusion_matrix"] = {{"rows", "ground truth"},
                           {"columns", "prediction, then 'none' (ignore value / missing)"},
                           {"counts", std::move(rows)}};
  return j;
}

void write_confusion_csv(std::ostream& out, const ConfusionMatrix& m,
                         const std::vector<std::string>& names) {
  out << "gt\\pred";
  for (const auto& n : names) out << "," << n;
  out << ",none\n";
  for (int g = 0; g < m.num_classes(); ++g) {
    out << names[std::size_t(g)];
    for (int p = 0; p <= m.num_classes(); ++p) out << "," << m.at(g, p);
    out << "\n";
  }
}

nlohmann::json semantic_partial_json(const SemanticPartial& p) {
  auto j = partial_header_json("miou", {p.shard_index, p.shard_count, p.total_images, p.header});
  j["positions"] = p.positions;
  j["class_names"] = p.class_names;
  j["cells"] = p.matrix.cells();
  return j;
}

SemanticPartial semantic_partial_from_json(const nlohmann::json& j, const std::string& name) {
  try {
    const auto h = partial_header_from_json(
        j, "miou", "an mIoU partial file from `segx eval miou --shard`", name);
    SemanticPartial p;
    p.shard_index = h.shard_index;
    p.shard_count = h.shard_count;
    p.total_images = h.total_images;
    p.header = h.run;
    p.positions = j.at("positions").get<std::vector<std::size_t>>();
    p.class_names = j.at("class_names").get<std::vector<std::string>>();
    const int k = int(p.class_names.size());
    p.matrix = ConfusionMatrix(k);
    const auto cells = j.at("cells").get<std::vector<std::uint64_t>>();
    if (cells.size() != std::size_t(k) * std::size_t(k + 1))
      fail(ErrorKind::DataError, "'{}': confusion matrix has {} cells, expected {}", name,
           cells.size(), std::size_t(k) * std::size_t(k + 1));
    for (int g = 0; g < k; ++g)
      for (int q = 0; q <= k; ++q) p.matrix.at(g, q) = cells[std::size_t(g) * std::size_t(k + 1) + std::size_t(q)];
    return p;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "'{}': malformed partial file: {}", name, e.what());
  }
}

}  // namespace segx::metrics
