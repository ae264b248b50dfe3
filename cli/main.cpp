// segx entry point: builds the CLI from the command table, dispatches, and is the one place that
// catches segx::Error and maps it to a sysexits exit code.
#include <signal.h>

#include <iostream>

#include "command.hpp"
#include "deprecated.hpp"
#include "segx/core/build_info.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/core/progress.hpp"
#include "segx/io/stream.hpp"

namespace {

// The name of the deepest parsed subcommand path, e.g. "segx eval pq", for message prefixes.
std::string command_path(CLI::App* app) {
  std::string path = "segx";
  while (app) {
    CLI::App* next = nullptr;
    for (auto* sub : app->get_subcommands()) {
      next = sub;
      path += " " + sub->get_name();
      break;
    }
    app = next;
  }
  return path;
}

// Finds the runner of the deepest parsed subcommand that has one.
const segx::cli::Runner* find_runner(const segx::cli::CliTree& tree) {
  for (const auto& [sub, runner] : tree.runners)
    if (sub->parsed()) return &runner;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe (`segx ... | head`) should end the program quietly, as for other Unix tools.
  signal(SIGPIPE, SIG_DFL);
  // Over a file-size limit (ulimit -f) a write fails (exit 74, nothing left behind) instead of
  // the process dying with its temporary files.
  signal(SIGXFSZ, SIG_IGN);
  segx::cli::prepare_process();
  segx::cli::set_command_line(argc, argv);
  auto tree = segx::cli::build_cli();
  CLI::App& app = *tree.app;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << command_path(&app) << ": " << e.what() << "\n"
              << "Run '" << command_path(&app) << " --help' for usage.\n";
    return segx::exit_code(segx::ErrorKind::Usage);
  } catch (const segx::Error& e) {  // an option refused while parsing (deprecated.hpp)
    std::cerr << command_path(&app) << ": " << e.what() << "\n";
    return segx::exit_code(e.kind());
  }
  segx::log::set_prefix(command_path(&app));
  try {
    segx::cli::apply_resource_limits(tree);
  } catch (const segx::Error& e) {
    std::cerr << command_path(&app) << ": " << e.what() << "\n";
    return segx::exit_code(e.kind());
  }
  if (*tree.quiet) {
    segx::log::set_level(segx::log::Level::Quiet);
    segx::Progress::set_enabled(false);
  } else if (*tree.verbosity > 0) {
    segx::log::set_level(segx::log::Level::Debug);
  }
  segx::cli::flush_deprecation_warnings();
  if (*tree.version_flag) {
    std::cout << "segx " << SEGX_VERSION << " (LibTorch " << SEGX_TORCH_VERSION << ", OpenCV "
              << SEGX_OPENCV_VERSION << ")\n";
    return 0;
  }
  const segx::cli::Runner* runner = find_runner(tree);
  if (!runner) {
    std::cout << app.help();
    return argc > 1 ? segx::exit_code(segx::ErrorKind::Usage) : 0;
  }
  try {
    int rc = (*runner)();
    segx::io::flush_stdout();
    return rc;
  } catch (const segx::Error& e) {
    std::cerr << segx::log::prefix() << ": " << e.what() << "\n";
    return segx::exit_code(e.kind());
  } catch (const CLI::Error& e) {  // validation inside a runner
    std::cerr << segx::log::prefix() << ": " << e.what() << "\n";
    return segx::exit_code(segx::ErrorKind::Usage);
  } catch (const std::bad_alloc&) {
    std::cerr << segx::log::prefix() << ": out of memory\n";
    return segx::exit_code(segx::ErrorKind::Internal);
  } catch (const std::exception& e) {
    std::cerr << segx::log::prefix() << ": internal error: " << e.what() << "\n";
    return segx::exit_code(segx::ErrorKind::Internal);
  }
}
