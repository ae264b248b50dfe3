// `--fail-under METRIC=VALUE` for CI: parsing and checking against a report's metrics.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace segx::metrics {

struct Threshold {
  std::string metric;  // as named in the report, e.g. "PQ", "PQ_th", "mIoU"
  double value = 0;    // a fraction; "VALUE%" is read as percent (PQ=55% == PQ=0.55)
};

// Parses "METRIC=VALUE" or "METRIC=VALUE%"; throws Error(Usage) naming the flag and the metrics
// that exist (`known`).
Threshold parse_threshold(const std::string& text, const std::map<std::string, double>& known);

// The failures, one line each ("PQ 0.6445 is under 0.7"); empty when every metric is high enough.
std::vector<std::string> check_thresholds(const std::vector<Threshold>& thresholds,
                                          const std::map<std::string, double>& metrics);

}  // namespace segx::metrics
