// The command table: every subcommand's name, one-line summary and setup function. It drives
// dispatch, `segx help`, the man pages and the shell completions (see commands.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace segx::cli {

// Runs a parsed subcommand and returns its exit code; errors are thrown as segx::Error.
using Runner = std::function<int()>;

// Declares a subcommand's options on `app` (already named and described) and returns the runner
// that uses the parsed values. Nested subcommands (e.g. `eval pq`) are added inside.
using Setup = std::function<Runner(CLI::App& app)>;

struct Command {
  std::string name;
  std::string summary;
  Setup setup;
  bool hidden = false;  // internal commands (generate) stay out of help and docs
};

const std::vector<Command>& commands();

// Setup functions, one per cli/cmd_<name>.cpp.
Runner setup_generate(CLI::App& app);
Runner setup_eval(CLI::App& app);
Runner setup_eval_ap(CLI::App& app);
Runner setup_convert(CLI::App& app);
Runner setup_infer(CLI::App& app);
Runner setup_vocab(CLI::App& app);
Runner setup_visualize(CLI::App& app);
Runner setup_train(CLI::App& app);

// Builds the whole CLI11 tree (used by main and by the doc generators).
struct CliTree {
  std::unique_ptr<CLI::App> app;
  std::vector<std::pair<CLI::App*, Runner>> runners;
  bool* version_flag = nullptr;
  int* verbosity = nullptr;
  bool* quiet = nullptr;
};
CliTree build_cli();

}  // namespace segx::cli
