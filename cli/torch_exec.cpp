// Hands a LibTorch command over to the segx-torch binary by exec, so that `segx` never loads
// LibTorch (0.6-1.3 s per process, far more than convert/eval/vocab/visualize need to run).
//
// Why exec of a sibling program rather than dlopen of a module: segx-torch is an ordinary program
// linked like any other, so there is exactly one copy of every piece of process state (log level,
// progress switch, command table) and no symbol-export contract between a binary and a plugin
// built from the same static library; it can be run, debugged and profiled on its own; and the
// price, one execve of a few milliseconds, is paid only by commands that then load LibTorch.
// segx-torch lives beside segx in the build tree and in <prefix>/libexec/segx once installed.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "command.hpp"
#include "segx/core/error.hpp"
#include "segx/core/helper_paths.hpp"
#include "segx/io/stream.hpp"

namespace segx::cli {
namespace {

namespace fs = std::filesystem;

int saved_argc = 0;
char** saved_argv = nullptr;

}  // namespace

void set_command_line(int argc, char** argv) {
  saved_argc = argc;
  saved_argv = argv;
}

void run_in_torch_binary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail(ErrorKind::Internal, "cannot find the running program: {}", ec.message());
  const auto candidates = helper_candidates(self, "segx-torch");
  for (const auto& path : candidates) {
    if (access(path.c_str(), X_OK) != 0) continue;
    if (fs::equivalent(path, self, ec))  // a table entry without its setup in segx-torch
      fail(ErrorKind::Internal, "'{}' has no setup for this command", path.string());
    std::cout.flush();
    // LibTorch's operators run on OpenMP threads and its matrix products on OpenBLAS's own
    // threads. OpenMP's idle threads spin by default after every parallel region, on the cores
    // OpenBLAS then needs: on 2 cores a model forward took 3x as long (scripts/results/
    // model_forward.json). They must sleep instead, which libgomp reads from the environment
    // when it loads, so it is set here for segx-torch, unless the user has chosen a policy.
    setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
    std::vector<char*> argv(saved_argv, saved_argv + saved_argc);
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    fail(ErrorKind::Unavailable, "cannot run '{}': {}", path.string(), std::strerror(errno));
  }
  fail(ErrorKind::Unavailable,
       "this command needs LibTorch, which comes with the segx-torch program: not found at '{}' "
       "nor '{}'",
       candidates[0].string(), candidates[1].string());
}

}  // namespace segx::cli
