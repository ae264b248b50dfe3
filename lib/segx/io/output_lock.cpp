// OutputDirLock: flock on a file beside the output folder (see output_lock.hpp).
#include "segx/io/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "segx/core/error.hpp"

namespace segx::io {
namespace fs = std::filesystem;

fs::path OutputDirLock::path_for(const fs::path& dir) {
  const fs::path absolute = fs::absolute(dir).lexically_normal();
  fs::path name = absolute.filename();
  if (name.empty()) name = absolute.parent_path().filename();  // "out/" -> "out"
  const fs::path folder = absolute.has_filename() ? absolute : absolute.parent_path();
  return folder.parent_path() / ("." + name.string() + ".lock");
}

OutputDirLock::OutputDirLock(const fs::path& dir) : path_(path_for(dir)) {
  std::error_code ec;
  fs::create_directories(path_.parent_path(), ec);
  // Retried when the file we locked was unlinked by its previous holder in the meantime: the
  // lock must be on the file that the path names now.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      fail(ErrorKind::CannotCreate, "cannot create the lock '{}' of '{}': {}", path_.string(),
           dir.string(), std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      char pid[32] = {};
      const auto n = ::pread(fd, pid, sizeof pid - 1, 0);
      ::close(fd);
      if (error == EWOULDBLOCK)
        fail(ErrorKind::CannotCreate,
             "'{}' is being written by another segx run{}; try again when it has finished",
             dir.string(),
             n > 0 ? std::string(" (pid ") + std::string(pid, std::size_t(n)) + ")" : "");
      fail(ErrorKind::CannotCreate, "cannot lock '{}': {}", path_.string(), std::strerror(error));
    }
    struct stat held {
    }, now{};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      const std::string pid = std::to_string(::getpid());
      if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The pid only improves the other run's message.
      }
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  fail(ErrorKind::CannotCreate, "cannot lock '{}': it keeps being replaced", path_.string());
}

OutputDirLock::~OutputDirLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding the lock: a waiter re-checks the inode
  ::close(fd_);
}

}  // namespace segx::io
