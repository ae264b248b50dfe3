// Two processes on loopback with Gloo: averaged gradients, summed scalars and broadcast weights.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "segx/core/error.hpp"
#include "segx/train/distributed.hpp"

namespace segx::train {
namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs in a child process; returns the exit status (0 = every check passed).
int worker(int rank, int port) {
  try {
    auto ctx = DistributedContext::connect("127.0.0.1", port, rank, 2);
    if (std::string(ctx.backend_name()) != "gloo") return 1;
    auto grad_a = torch::full({3}, rank == 0 ? 1.0f : 3.0f);
    auto grad_b = torch::full({2, 2}, rank == 0 ? -2.0f : 6.0f);
    ctx.all_reduce_mean({grad_a, grad_b});
    if (!torch::allclose(grad_a, torch::full({3}, 2.0f))) return 2;
    if (!torch::allclose(grad_b, torch::full({2, 2}, 2.0f))) return 3;
    if (ctx.all_reduce_sum(rank + 1.5) != 4.0) return 4;
    auto weights = torch::full({4}, static_cast<float>(rank * 10 + 1));
    ctx.broadcast_from_main({weights});
    if (!torch::allclose(weights, torch::full({4}, 1.0f))) return 5;
    ctx.barrier();
    return 0;
  } catch (const std::exception& e) {
    fprintf(stderr, "rank %d: %s\n", rank, e.what());
    return 9;
  }
}

TEST(Distributed, TwoProcessesOnLoopbackWithGloo) {
  const int port = free_port();
  pid_t children[2];
  for (int rank = 0; rank < 2; ++rank) {
    children[rank] = fork();
    ASSERT_GE(children[rank], 0);
    if (children[rank] == 0) _exit(worker(rank, port));
  }
  for (int rank = 0; rank < 2; ++rank) {
    int status = 0;
    waitpid(children[rank], &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "rank " << rank;
  }
}

// Which backend a run gets, and the errors for backends it cannot have (checked before any
// connection is tried).
TEST(Distributed, BackendChoiceAndItsErrors) {
  EXPECT_EQ(parse_collective_backend("auto"), CollectiveBackend::Auto);
  EXPECT_EQ(parse_collective_backend("nccl"), CollectiveBackend::Nccl);
  EXPECT_THROW(parse_collective_backend("mpi"), Error);
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "0", 1);
  try {
    DistributedContext::from_environment(false, CollectiveBackend::Nccl);
    ADD_FAILURE() << "NCCL accepted for CPU training";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("gloo"), std::string::npos) << e.what();
  }
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  if (!nccl_available()) {
    try {
      DistributedContext::connect("127.0.0.1", free_port(), 0, 2, CollectiveBackend::Nccl, 0);
      ADD_FAILURE() << "NCCL accepted by a build without it";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
      EXPECT_NE(std::string(e.what()).find("without NCCL"), std::string::npos) << e.what();
    }
  }
  EXPECT_STREQ(DistributedContext().backend_name(), "none");
}

TEST(Distributed, SingleProcessIsANoOp) {
  DistributedContext ctx;
  auto g = torch::ones({2});
  ctx.all_reduce_mean({g});
  EXPECT_TRUE(torch::equal(g, torch::ones({2})));
  EXPECT_EQ(ctx.all_reduce_sum(2.5), 2.5);
  EXPECT_TRUE(ctx.is_main());
}

}  // namespace
}  // namespace segx::train
