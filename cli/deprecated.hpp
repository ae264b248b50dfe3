// Deprecated spellings of options and values: they keep working for one release, with one line on
// stderr naming the new spelling and the release that removes the old one. Every command uses
// these helpers, so that the warnings read the same everywhere.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <type_traits>

namespace segx::cli {

// The release that removes what this release deprecates (CHANGELOG.md lists each one).
inline constexpr const char* kDeprecationRemovedIn = "0.2.0";

// Says on stderr that `old_spelling` is deprecated in favour of `new_spelling`. During parsing
// the line is kept until flush_deprecation_warnings() (so that -q, parsed later, applies).
void warn_deprecated(const std::string& old_spelling, const std::string& new_spelling);

// Refuses an option given on the command line: Error(Usage) "OPTION: REASON". Thrown while the
// command line is parsed, it is reported by main() like a CLI11 parse error (exit 64).
[[noreturn]] void refuse_option(const std::string& option, const std::string& reason);

// Called by main() once the command line is parsed and the log level is set.
void flush_deprecation_warnings();

// Adds `old_name` (e.g. "--out") as a hidden alias of the option `canonical` (e.g. "--out-dir"),
// storing into the same variable; using it warns. Giving both is a usage error.
// `canonical` must have no default value (its count() tells whether it was given).
template <class T>
CLI::Option* add_deprecated_alias(CLI::App& app, const std::string& old_name, T& variable,
                                  CLI::Option* canonical) {
  const std::string new_name = canonical->get_name();
  CLI::Option* alias = app.add_option(old_name, variable, "deprecated: use " + new_name);
  alias->group("");  // hidden from help, man pages and completions
  // Values are checked once the whole line is parsed, so the canonical option's count is known.
  // (CLI11's excludes() cannot name a hidden option in its message.)
  alias->each([old_name, new_name, canonical](const std::string&) {
    if (canonical->count() > 0) refuse_option(old_name, "give " + new_name + " only");
    warn_deprecated(old_name, new_name);
  });
  return alias;
}

// Adds `name` to a command it does not apply to, hidden, so that using it is refused with
// `reason` (exit 64) instead of being accepted and ignored.
template <class T>
void add_refused_option(CLI::App& app, const std::string& name, T& variable,
                        const std::string& reason) {
  CLI::Option* opt;
  if constexpr (std::is_same_v<T, bool>)
    opt = app.add_flag(name, variable);
  else
    opt = app.add_option(name, variable);
  opt->group("");
  opt->each([name, reason](const std::string&) { refuse_option(name, reason); });
}

// A transform for the values of `option`: `old_value` is read as `new_value`, with a warning
// (e.g. --scheme panoptic_fpn -> panoptic-fpn). Add it with Option::transform.
CLI::Validator deprecated_value(const std::string& option, const std::string& old_value,
                                const std::string& new_value);

}  // namespace segx::cli
