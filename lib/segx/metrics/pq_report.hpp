// PQ results as text (panopticapi's printout, a per-class table like cityscapesScripts'), JSON,
// per-image JSON Lines, and the partial accumulator files that `--shard` writes and `merge` reads.
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <vector>

#include "segx/metrics/panoptic_eval.hpp"
#include "segx/metrics/report_info.hpp"

namespace segx::metrics {

// Per-class table, then panopticapi's summary:
//   "          |    PQ     SQ     RQ     N" / "All       |  64.4   83.2   76.6    30" ...
void write_pq_table(std::ostream& out, const PqSummary& summary);

// The report: header, All/Things/Stuff and per_class (keyed by category id, as panopticapi).
nlohmann::json pq_report_json(const PqSummary& summary, const nlohmann::json& header,
                              std::size_t images);

// One JSON object per image: image_id, file_name, tp, fp, fn, pq, sq, rq (over its classes).
void write_pq_per_image(std::ostream& out, const std::vector<PanopticImageResult>& images,
                        const PanopticCategories& categories);

// An image id as JSON: a number when it is one, else the string.
nlohmann::json image_id_json(const std::string& id);

// Sums per-image counts into one accumulator (exact; order does not matter).
PanopticQuality accumulate(const std::vector<PanopticImageResult>& images);

// ---- partial accumulator files (--shard i/n) ----

struct ShardSpec {
  int index = 1, count = 1;  // 1-based: shard 1/4 .. 4/4
};

// Parses "i/n" (1 <= i <= n); throws Error(Usage).
ShardSpec parse_shard(const std::string& text);

// Positions of the set that shard `spec` evaluates: i-1, i-1+n, i-1+2n, ... (round robin, so
// shards get a similar mix of images).
std::vector<std::size_t> shard_positions(std::size_t total, const ShardSpec& spec);

struct PqPartial {
  ShardSpec shard;
  std::size_t total_images = 0;  // in the whole set
  nlohmann::json header;         // report_header() of the run
  std::vector<PanopticCategory> categories;
  std::vector<PanopticImageResult> images;
};

nlohmann::json pq_partial_json(const PqPartial& partial);
// Parses a partial file's JSON; `name` is used in errors (Error(DataError)).
PqPartial pq_partial_from_json(const nlohmann::json& j, const std::string& name);

}  // namespace segx::metrics
