// Shared `segx eval` options and output.
#include "eval_common.hpp"

#include <iostream>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/stream.hpp"
#include "segx/metrics/thresholds.hpp"

namespace segx::cli {

void add_eval_common_options(CLI::App& app, EvalCommonOptions& o, EvalOptionSet set) {
  app.add_option("--json", o.json, "write the full report as JSON to FILE ('-': stdout)")
      ->type_name("FILE");
  app.add_option("--fail-under", o.fail_under,
                 "exit 1 when METRIC is below VALUE (a fraction, or a percent with '%'), "
                 "e.g. PQ=0.5 or mIoU=70%; repeatable")
      ->type_name("METRIC=VALUE");
  if (set == EvalOptionSet::Merge) return;
  app.add_option("-j,--threads", o.threads, "worker threads (0: all cores)")->default_val(0);
  if (set == EvalOptionSet::Unsharded) return;
  app.add_option("--shard", o.shard,
                 "evaluate only shard i of n (images i, i+n, ...) and write a partial "
                 "accumulator for `segx eval merge`")
      ->type_name("I/N");
  app.add_option("--partial", o.partial, "where --shard writes its partial file ('-': stdout)")
      ->type_name("FILE");
  app.add_flag("--allow-missing", o.allow_missing,
               "count an image without prediction as predicting nothing (all misses) instead "
               "of failing");
}

std::optional<metrics::ShardSpec> eval_shard(const EvalCommonOptions& o) {
  if (o.shard.empty()) {
    if (!o.partial.empty()) fail(ErrorKind::Usage, "--partial needs --shard");
    return std::nullopt;
  }
  if (!o.json.empty() || !o.fail_under.empty())
    fail(ErrorKind::Usage,
         "--shard writes a partial file; give --json/--fail-under to `segx eval merge`");
  return metrics::parse_shard(o.shard);
}

std::vector<std::size_t> keep_shard(std::vector<metrics::PanopticImagePair>& pairs,
                                    const std::optional<metrics::ShardSpec>& shard) {
  if (!shard) return {};
  std::vector<std::size_t> positions = metrics::shard_positions(pairs.size(), *shard);
  std::vector<metrics::PanopticImagePair> subset;
  for (auto i : positions) subset.push_back(std::move(pairs[i]));
  pairs.swap(subset);
  return positions;
}

int finish_eval(const EvalCommonOptions& o, const std::function<void(std::ostream&)>& table,
                const nlohmann::json& report, const std::map<std::string, double>& values) {
  return finish_eval(
      o, table, [&] { return report; }, values);
}

int finish_eval(const EvalCommonOptions& o, const std::function<void(std::ostream&)>& table,
                const std::function<nlohmann::json()>& report,
                const std::map<std::string, double>& values) {
  std::vector<metrics::Threshold> thresholds;
  for (const auto& t : o.fail_under) thresholds.push_back(metrics::parse_threshold(t, values));
  if (!o.json.empty()) {
    io::AtomicOutput out(o.json);
    out.stream() << report().dump(1) << "\n";
    out.commit();
  }
  // With the report on stdout the human table goes to stderr, keeping stdout valid JSON.
  if (o.json != "-")
    table(std::cout);
  else if (log::level() != log::Level::Quiet)
    table(std::cerr);
  const auto failures = metrics::check_thresholds(thresholds, values);
  for (const auto& f : failures) std::cerr << log::prefix() << ": " << f << "\n";
  return failures.empty() ? 0 : exit_code(ErrorKind::Negative);
}

void write_partial(const std::string& path, const nlohmann::json& partial) {
  io::AtomicOutput out(path.empty() ? "-" : path);
  out.stream() << partial.dump() << "\n";
  out.commit();
}

}  // namespace segx::cli
