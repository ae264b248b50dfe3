// OpenBLAS starts its thread pool when the library loads, and the pool threads spin (sched_yield)
// for about 0.1 s before they sleep. segx reaches OpenBLAS only through OpenCV's core library and
// does no BLAS work of its own, yet that spinning took ~10% of the CPU of a short `segx convert`
// or `segx eval` run on 2 cores. Shutting the idle pool down at start-up removes it; OpenBLAS
// restarts its pool by itself if a BLAS routine is ever called. Found by name at run time, as
// the BLAS behind libblas.so.3 is an alternative the user picks (the reference BLAS has no pool).
#include <dlfcn.h>

#include "command.hpp"

namespace segx::cli {

void stop_idle_blas_threads() {
  using Shutdown = int (*)();
  if (auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_")))
    shutdown();
}

}  // namespace segx::cli
