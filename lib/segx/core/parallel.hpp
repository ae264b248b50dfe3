// A minimal parallel loop over indices. Work items are handed out one at a time through an atomic
// counter, which balances images of very different cost; the first exception is rethrown.
#pragma once
#include <cstddef>
#include <functional>

namespace segx {

// Number of worker threads for a --threads value: 0 means all hardware threads.
int resolve_threads(int requested);

// Calls fn(i) for every i in [0, n) on up to `threads` threads (the caller's thread included).
// fn receives the worker index as its second argument, for per-thread scratch buffers.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t, int)>& fn);

}  // namespace segx
