// Dispatch for nested subcommands.
#include "nested.hpp"

#include <memory>

namespace segx::cli {

Runner add_nested_commands(CLI::App& parent, const std::vector<NestedCommand>& table) {
  parent.require_subcommand(1);
  auto runners = std::make_shared<std::vector<std::pair<CLI::App*, Runner>>>();
  for (const auto& nested : table) {
    CLI::App* sub = parent.add_subcommand(nested.name, nested.summary);
    runners->emplace_back(sub, nested.setup(*sub));
  }
  return [runners]() {
    for (auto& [sub, runner] : *runners)
      if (sub->parsed()) return runner();
    return 64;
  };
}

}  // namespace segx::cli
