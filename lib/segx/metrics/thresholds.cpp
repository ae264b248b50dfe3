// --fail-under parsing and checking.
#include "segx/metrics/thresholds.hpp"

#include <fmt/format.h>

#include <cmath>

#include "segx/core/error.hpp"

namespace segx::metrics {

Threshold parse_threshold(const std::string& text, const std::map<std::string, double>& known) {
  const auto eq = text.find('=');
  std::string names;
  for (const auto& [name, v] : known) names += (names.empty() ? "" : ", ") + name;
  if (eq == std::string::npos || eq == 0)
    fail(ErrorKind::Usage, "--fail-under '{}': expected METRIC=VALUE, e.g. {}=0.5", text,
         known.empty() ? "PQ" : known.begin()->first);
  Threshold t;
  t.metric = text.substr(0, eq);
  if (!known.count(t.metric))
    fail(ErrorKind::Usage, "--fail-under '{}': unknown metric '{}' (known: {})", text, t.metric,
         names);
  std::string number = text.substr(eq + 1);
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  std::size_t used = 0;
  try {
    t.value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != number.size() || !std::isfinite(t.value))
    fail(ErrorKind::Usage, "--fail-under '{}': '{}' is not a number", text, text.substr(eq + 1));
  if (percent) t.value /= 100;
  return t;
}

std::vector<std::string> check_thresholds(const std::vector<Threshold>& thresholds,
                                          const std::map<std::string, double>& metrics) {
  std::vector<std::string> failures;
  for (const auto& t : thresholds) {
    const double v = metrics.at(t.metric);
    // NaN (nothing to average) never passes a threshold.
    if (!(v >= t.value)) failures.push_back(fmt::format("{} {} is under {}", t.metric, v, t.value));
  }
  return failures;
}

}  // namespace segx::metrics
