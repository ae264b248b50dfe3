// The non-template half of the config tables: rules, messages, the "did you mean" suggestion.
#include "segx/core/config_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"

namespace segx::config {
namespace {

std::string number(double v) {
  return fmt::format("{}", v);
}

// "a, b or c".
std::string alternatives(const std::vector<Json>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i].dump();
  }
  return out;
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// What a scalar must be under `rule`, "" when it is.
std::string scalar_violation(const Rule& rule, const Json& v) {
  if (!rule.choices.empty() &&
      std::find(rule.choices.begin(), rule.choices.end(), v) == rule.choices.end())
    return "must be " + alternatives(rule.choices);
  if (!v.is_number() || (!rule.min && !rule.max)) return "";
  const double x = v.get<double>();
  const bool low = rule.min && (rule.min_open ? !(x > *rule.min) : !(x >= *rule.min));
  const bool high = rule.max && (rule.max_open ? !(x < *rule.max) : !(x <= *rule.max));
  if (!low && !high) return "";
  if (rule.min && rule.max)
    return fmt::format("must be in {}{}, {}{}", rule.min_open ? "(" : "[", number(*rule.min),
                       number(*rule.max), rule.max_open ? ")" : "]");
  if (rule.min && rule.min_open && *rule.min == 0) return "must be positive";
  if (rule.min) return fmt::format("must be {} {}", rule.min_open ? ">" : ">=", number(*rule.min));
  return fmt::format("must be {} {}", rule.max_open ? "<" : "<=", number(*rule.max));
}

}  // namespace

void Origin::fail(const std::string& key, const std::string& what) const {
  segx::fail(ErrorKind::Config, "'{}': {}{} {}", file, prefix, key, what);
}

std::string Rule::text() const {
  std::vector<std::string> parts;
  if (!choices.empty()) parts.push_back(alternatives(choices));
  if (min && max)
    parts.push_back(fmt::format("{}{}, {}{}", min_open ? "(" : "[", number(*min), number(*max),
                                max_open ? ")" : "]"));
  else if (min)
    parts.push_back(fmt::format("{} {}", min_open ? ">" : ">=", number(*min)));
  else if (max)
    parts.push_back(fmt::format("{} {}", max_open ? "<" : "<=", number(*max)));
  if (size) parts.push_back(fmt::format("{} values", *size));
  if (non_empty) parts.push_back("not empty");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string Rule::violation(const Json& value) const {
  if (value.is_array()) {
    if (size && value.size() != *size) return fmt::format("must have {} values", *size);
    if (non_empty && value.empty()) return "must not be empty";
    for (const auto& e : value)
      if (auto v = scalar_violation(*this, e); !v.empty()) return v;
    return "";
  }
  if (non_empty && value.is_string() && value.get<std::string>().empty())
    return "must not be empty";
  return scalar_violation(*this, value);
}

bool is_comment_key(const std::string& key) {
  return key == "comment" || (!key.empty() && key[0] == '_');
}

std::string brief(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

void check_value(const Json& value, bool accepted, const std::string& type, const Rule& rule,
                 const Origin& origin, const std::string& key) {
  if (!accepted) origin.fail(key, "must be " + with_article(type) + ", not " + brief(value));
  if (auto what = rule.violation(value); !what.empty())
    origin.fail(key, what + ", not " + brief(value));
}

void warn_deprecated_key(const Origin& origin, const std::string& key, const std::string& why) {
  log::warn("'{}': {}{} is no longer read ({}); ignored", origin.file, origin.prefix, key, why);
}

void fail_unknown_key(const Origin& origin, const std::string& key,
                      const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const auto& k : known)
    if (auto d = edit_distance(key, k); d < best_distance) {
      best = k;
      best_distance = d;
    }
  const std::string hint =
      best.empty() ? "" : fmt::format(" (did you mean \"{}{}\"?)", origin.prefix, best);
  segx::fail(ErrorKind::Config, "'{}': unknown key \"{}{}\"{}", origin.file, origin.prefix, key,
             hint);
}

}  // namespace segx::config
