// The command table: every subcommand's name, one-line summary and setup function. It drives
// dispatch, `segx help`, the man pages and the shell completions (see commands.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
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
  Setup setup;          // empty: the command runs in segx-torch (see SEGX_TORCH_SETUP)
  bool hidden = false;  // internal commands (generate) stay out of help and docs
};

// Wraps the setup of a command that needs LibTorch (its file lives in cli/torch/). Only the
// segx-torch binary has such setups; in segx the command keeps its name and summary and the whole
// command line is handed to segx-torch, so `segx` itself never loads LibTorch.
#ifdef SEGX_WITH_TORCH
#define SEGX_TORCH_SETUP(setup) ::segx::cli::Setup(setup)
#else
#define SEGX_TORCH_SETUP(setup) ::segx::cli::Setup()
#endif

const std::vector<Command>& commands();

// Shuts down OpenBLAS's idle thread pool where OpenBLAS is loaded (blas_threads.cpp); segx calls
// it at start-up, segx-torch does not (LibTorch uses BLAS).
void stop_idle_blas_threads();
// Process-wide preparation before the command line is parsed (per binary: see commands.cpp).
void prepare_process();

// Setup functions, one per cli/cmd_<name>.cpp (cli/torch/cmd_<name>.cpp for LibTorch commands).
Runner setup_generate(CLI::App& app);
Runner setup_eval(CLI::App& app);
Runner setup_eval_ap(CLI::App& app);
Runner setup_convert(CLI::App& app);
Runner setup_infer(CLI::App& app);
Runner setup_vocab(CLI::App& app);
Runner setup_visualize(CLI::App& app);
Runner setup_train(CLI::App& app);
Runner setup_model(CLI::App& app);

// Builds the whole CLI11 tree (used by main and by the doc generators).
struct CliTree {
  std::unique_ptr<CLI::App> app;
  std::vector<std::pair<CLI::App*, Runner>> runners;
  bool* version_flag = nullptr;
  int* verbosity = nullptr;
  bool* quiet = nullptr;
  std::uint64_t* max_pixels = nullptr;      // 0: not given
  std::uint64_t* max_json_bytes = nullptr;  // 0: not given
};

// Sets the process's resource limits (segx/core/limits.hpp) from the environment and the global
// options, and OpenCV's decoder limit to the same number of pixels. Error(Usage) for a bad
// environment value.
void apply_resource_limits(const CliTree& tree);
CliTree build_cli();

// Remembers the process's command line for run_in_torch_binary (called first thing in main).
void set_command_line(int argc, char** argv);

// Replaces this process with segx-torch on the same command line (torch_exec.cpp); returns only
// by throwing Error(Unavailable) when segx-torch is not installed beside segx.
[[noreturn]] void run_in_torch_binary();

}  // namespace segx::cli
