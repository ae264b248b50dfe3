// Options and output handling shared by the `segx eval` metrics: --json, --fail-under,
// --threads, --shard/--partial, --allow-missing.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "segx/metrics/panoptic_eval.hpp"
#include "segx/metrics/pq_report.hpp"
#include "segx/metrics/semantic_iou.hpp"

namespace segx::cli {

struct EvalCommonOptions {
  std::string json;                     // --json FILE|-
  std::vector<std::string> fail_under;  // METRIC=VALUE
  int threads = 0;
  std::string shard;    // i/n
  std::string partial;  // where --shard writes its partial file
  bool allow_missing = false;
};

// Which of the shared options a subcommand takes: all of them (pq, miou), all but the sharding
// ones (ap, which has no partial accumulator), or the report options only (merge).
enum class EvalOptionSet { Sharded, Unsharded, Merge };

// Adds the shared options to a subcommand.
void add_eval_common_options(CLI::App& app, EvalCommonOptions& o,
                             EvalOptionSet set = EvalOptionSet::Sharded);

// The shard of this run, if any (validates --shard/--partial together).
std::optional<metrics::ShardSpec> eval_shard(const EvalCommonOptions& o);

// Keeps only this run's shard of `pairs` (all of them without --shard) and returns the kept
// pairs' positions in the full list (empty without --shard), as the partial file records them.
std::vector<std::size_t> keep_shard(std::vector<metrics::PanopticImagePair>& pairs,
                                    const std::optional<metrics::ShardSpec>& shard);

// Writes the JSON report to --json and the human table to stdout (to stderr when the report
// goes to stdout, unless -q), then applies --fail-under: returns 1 (and says why on stderr) when
// a metric is under. Every `segx eval` command ends here.
int finish_eval(const EvalCommonOptions& o, const std::function<void(std::ostream&)>& table,
                const nlohmann::json& report, const std::map<std::string, double>& metrics);
// The same with the report built only when --json asks for it (AP's arrays take ~20 MB).
int finish_eval(const EvalCommonOptions& o, const std::function<void(std::ostream&)>& table,
                const std::function<nlohmann::json()>& report,
                const std::map<std::string, double>& metrics);

// The metrics, table and report of a counted confusion matrix (miou and merge); `info.options`
// holds the averaging and beta of the run; `confusion` (may be empty) receives the CSV.
int finish_semantic_report(const EvalCommonOptions& common, const metrics::ConfusionMatrix& matrix,
                           const std::vector<std::string>& names, const nlohmann::json& header,
                           std::size_t images, const std::string& confusion);

// The table and report of PQ counts (pq and merge); `per_image` (may be empty) receives the
// per-image JSON Lines.
int finish_pq_report(const EvalCommonOptions& common,
                     const std::vector<metrics::PanopticImageResult>& images,
                     const metrics::PanopticCategories& categories, const nlohmann::json& header,
                     const std::string& per_image);

// Writes a partial accumulator file atomically ("-" = stdout).
void write_partial(const std::string& path, const nlohmann::json& partial);

}  // namespace segx::cli
