// Nested subcommands (`segx eval pq`, `segx convert lint`): a small table of name, summary and
// setup, added under a parent command whose runner dispatches to the one that was parsed.
#pragma once
#include <vector>

#include "command.hpp"

namespace segx::cli {

struct NestedCommand {
  std::string name;
  std::string summary;
  Setup setup;
};

// Adds every nested command under `parent` and returns the parent's runner.
Runner add_nested_commands(CLI::App& parent, const std::vector<NestedCommand>& table);

}  // namespace segx::cli
