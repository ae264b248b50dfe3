// PQ tables, JSON reports, per-image lines and shard partial files.
#include "segx/metrics/pq_report.hpp"

#include <ostream>

#include "segx/core/error.hpp"
#include "segx/metrics/report_info.hpp"

namespace segx::metrics {

void write_pq_table(std::ostream& out, const PqSummary& s) {
  // Per class as cityscapesScripts prints it.
  out << fmt::format("{:14s}| {:>5s}  {:>5s}  {:>5s}\n", "Category", "PQ", "SQ", "RQ");
  out << std::string(41, '-') << "\n";
  for (const auto& c : s.per_class) {
    const std::string name = c.category.name.empty() ? std::to_string(c.category.id)
                                                     : c.category.name;
    out << fmt::format("{:14s}| {:5.1f}  {:5.1f}  {:5.1f}\n", name, 100 * c.values.pq,
                       100 * c.values.sq, 100 * c.values.rq);
  }
  out << "\n";
  // panopticapi's pq_compute printout, character for character.
  out << fmt::format("{:10s}| {:>5s}  {:>5s}  {:>5s} {:>5s}\n", "", "PQ", "SQ", "RQ", "N");
  out << std::string(10 + 7 * 4, '-') << "\n";
  const std::pair<const char*, const PqValues*> rows[] = {
      {"All", &s.all}, {"Things", &s.things}, {"Stuff", &s.stuff}};
  for (const auto& [name, v] : rows)
    out << fmt::format("{:10s}| {:5.1f}  {:5.1f}  {:5.1f} {:5d}\n", name, 100 * v->pq,
                       100 * v->sq, 100 * v->rq, v->n);
}

namespace {

nlohmann::json values_json(const PqValues& v, bool with_n) {
  nlohmann::json j = {{"pq", v.pq}, {"sq", v.sq}, {"rq", v.rq}};
  if (with_n) j["n"] = v.n;
  return j;
}

nlohmann::json stats_json(const PqStats& stats) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [cat, s] : stats)
    j[std::to_string(cat)] = {s.tp, s.fp, s.fn, s.iou.to_string()};
  return j;
}

PqStats stats_from_json(const nlohmann::json& j) {
  PqStats stats;
  for (const auto& [key, v] : j.items()) {
    PqClassStat s;
    s.tp = v.at(0).get<std::int64_t>();
    s.fp = v.at(1).get<std::int64_t>();
    s.fn = v.at(2).get<std::int64_t>();
    s.iou = IouSum::from_string(v.at(3).get<std::string>());
    stats[std::stoll(key)] = s;
  }
  return stats;
}

}  // namespace

nlohmann::json image_id_json(const std::string& id) {
  // COCO ids are integers, Cityscapes ids strings: write each as it was given.
  const bool digits = !id.empty() && id.size() < 19 &&
                      id.find_first_not_of("0123456789") == std::string::npos;
  return digits ? nlohmann::json(std::stoll(id)) : nlohmann::json(id);
}

nlohmann::json pq_report_json(const PqSummary& s, const nlohmann::json& header,
                              std::size_t images) {
  nlohmann::json j = header;
  j["metric"] = "pq";
  j["images"] = images;
  j["All"] = values_json(s.all, true);
  j["Things"] = values_json(s.things, true);
  j["Stuff"] = values_json(s.stuff, true);
  nlohmann::json per_class = nlohmann::json::object();
  for (const auto& c : s.per_class) {
    nlohmann::json v = values_json(c.values, false);
    v["name"] = c.category.name;
    v["isthing"] = c.category.isthing;
    v["tp"] = c.stat.tp;
    v["fp"] = c.stat.fp;
    v["fn"] = c.stat.fn;
    per_class[std::to_string(c.category.id)] = std::move(v);
  }
  j["per_class"] = std::move(per_class);
  return j;
}

void write_pq_per_image(std::ostream& out, const std::vector<PanopticImageResult>& images,
                        const PanopticCategories& categories) {
  for (const auto& img : images) {
    const PqSummary s = summarize_pq(img.stats, categories);
    PqClassStat total;
    for (const auto& [cat, st] : img.stats) total += st;
    nlohmann::json j = {{"image_id", image_id_json(img.image_id)}, {"file_name", img.file_name},
                        {"tp", total.tp},         {"fp", total.fp},
                        {"fn", total.fn},         {"pq", s.all.pq},
                        {"sq", s.all.sq},         {"rq", s.all.rq},
                        {"n", s.all.n}};
    if (img.missing_prediction) j["missing_prediction"] = true;
    out << j.dump() << "\n";
  }
}

PanopticQuality accumulate(const std::vector<PanopticImageResult>& images) {
  PanopticQuality pq;
  for (const auto& img : images) pq.add(img.stats);
  return pq;
}

ShardSpec parse_shard(const std::string& text) {
  ShardSpec spec;
  char slash = 0;
  std::size_t used = 0;
  try {
    spec.index = std::stoi(text, &used);
    slash = used < text.size() ? text[used] : 0;
    std::size_t rest = 0;
    spec.count = std::stoi(text.substr(used + 1), &rest);
    if (used + 1 + rest != text.size()) slash = 0;
  } catch (const std::exception&) {
    slash = 0;
  }
  if (slash != '/' || spec.count < 1 || spec.index < 1 || spec.index > spec.count)
    fail(ErrorKind::Usage, "--shard '{}': expected i/n with 1 <= i <= n, e.g. 2/8", text);
  return spec;
}

std::vector<std::size_t> shard_positions(std::size_t total, const ShardSpec& spec) {
  std::vector<std::size_t> positions;
  for (std::size_t i = std::size_t(spec.index - 1); i < total; i += std::size_t(spec.count))
    positions.push_back(i);
  return positions;
}

nlohmann::json pq_partial_json(const PqPartial& p) {
  nlohmann::json cats = nlohmann::json::array();
  for (const auto& c : p.categories)
    cats.push_back({{"id", c.id}, {"name", c.name}, {"isthing", c.isthing ? 1 : 0}});
  nlohmann::json images = nlohmann::json::array();
  for (const auto& img : p.images) {
    nlohmann::json j = {{"index", img.index},
                        {"image_id", img.image_id},
                        {"file_name", img.file_name},
                        {"stats", stats_json(img.stats)}};
    if (img.missing_prediction) j["missing_prediction"] = true;
    images.push_back(std::move(j));
  }
  auto j = partial_header_json("pq", {p.shard.index, p.shard.count, p.total_images, p.header});
  j["categories"] = std::move(cats);
  j["images"] = std::move(images);
  return j;
}

PqPartial pq_partial_from_json(const nlohmann::json& j, const std::string& name) {
  try {
    const auto h =
        partial_header_from_json(j, "pq", "a PQ partial file from `segx eval pq --shard`", name);
    PqPartial p;
    p.shard.index = h.shard_index;
    p.shard.count = h.shard_count;
    p.total_images = h.total_images;
    p.header = h.run;
    for (const auto& c : j.at("categories"))
      p.categories.push_back({c.at("id").get<std::int64_t>(), c.at("name").get<std::string>(),
                              c.at("isthing").get<int>() == 1});
    for (const auto& im : j.at("images")) {
      PanopticImageResult r;
      r.index = im.at("index").get<std::size_t>();
      r.image_id = im.at("image_id").get<std::string>();
      r.file_name = im.at("file_name").get<std::string>();
      r.missing_prediction = im.value("missing_prediction", false);
      r.stats = stats_from_json(im.at("stats"));
      p.images.push_back(std::move(r));
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "'{}': malformed partial file: {}", name, e.what());
  } catch (const std::invalid_argument& e) {
    fail(ErrorKind::DataError, "'{}': malformed partial file: {}", name, e.what());
  } catch (const std::out_of_range& e) {
    fail(ErrorKind::DataError, "'{}': malformed partial file: {}", name, e.what());
  }
}

}  // namespace segx::metrics
