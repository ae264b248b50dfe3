// Runs the segx binary in a child process with posix_spawn, capturing stdout and stderr to files.
#include "support/run_cli.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/fixtures.hpp"

extern char** environ;

namespace segx::test {

std::filesystem::path segx_binary() { return SEGX_BINARY; }

CliResult run_segx(const std::vector<std::string>& args, const std::string& input,
                   const std::filesystem::path& cwd) {
  auto dir = temp_dir("cli_io");
  auto in_path = dir / "stdin", out_path = dir / "stdout", err_path = dir / "stderr";
  std::ofstream(in_path, std::ios::binary) << input;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string binary = segx_binary().string();
  // Run through /bin/sh only to change directory; arguments are passed as positional parameters.
  std::vector<std::string> argv_s = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"",
                                     cwd.empty() ? std::string(".") : cwd.string(), binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("posix_spawn failed");
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace segx::test
