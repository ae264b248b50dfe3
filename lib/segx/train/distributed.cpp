// The c10d process group behind DistributedContext: Gloo here, NCCL in distributed_nccl.cpp.
#include "segx/train/distributed.hpp"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <string>

#include "segx/core/error.hpp"
#include "segx/train/collective_group.hpp"

namespace segx::train {

CollectiveBackend parse_collective_backend(const std::string& name) {
  if (name == "auto") return CollectiveBackend::Auto;
  if (name == "gloo") return CollectiveBackend::Gloo;
  if (name == "nccl") return CollectiveBackend::Nccl;
  fail(ErrorKind::Usage, "unknown collective backend '{}' (auto, gloo or nccl)", name);
}

bool nccl_available() {
#if defined(SEGX_HAVE_NCCL)
  return true;
#else
  return false;
#endif
}

struct DistributedContext::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<detail::CollectiveGroup> group;
  const char* backend = "gloo";
};

DistributedContext::DistributedContext() = default;
DistributedContext::~DistributedContext() = default;
DistributedContext::DistributedContext(DistributedContext&&) noexcept = default;
DistributedContext& DistributedContext::operator=(DistributedContext&&) noexcept = default;

namespace {
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    fail(ErrorKind::Config, "environment variable {}='{}' is not an integer", name, v);
  }
}
// The network device this process binds: loopback when the master is local (single machine),
// the interface named by GLOO_SOCKET_IFNAME (as PyTorch honours it), else the host's address.
std::shared_ptr<::gloo::transport::Device> make_device(const std::string& master_addr) {
  if (master_addr == "localhost" || master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
}  // namespace

DistributedContext DistributedContext::from_environment(bool cuda, CollectiveBackend backend) {
  int world = env_int("WORLD_SIZE", 1);
  if (world <= 1) return DistributedContext();
  int rank = env_int("RANK", -1);
  if (rank < 0 || rank >= world)
    fail(ErrorKind::Config, "RANK must be set to 0..{} when WORLD_SIZE={}", world - 1, world);
  const char* addr = std::getenv("MASTER_ADDR");
  int port = env_int("MASTER_PORT", 29500);
  const int local_rank = env_int("LOCAL_RANK", rank);
  if (backend == CollectiveBackend::Auto)
    backend = cuda && nccl_available() ? CollectiveBackend::Nccl : CollectiveBackend::Gloo;
  auto ctx = connect(addr && *addr ? addr : "127.0.0.1", port, rank, world, backend, cuda ? local_rank : -1);
  ctx.local_rank_ = local_rank;
  return ctx;
}

DistributedContext DistributedContext::connect(const std::string& master_addr, int master_port,
                                               int rank, int world_size, CollectiveBackend backend,
                                               int cuda_device) {
  DistributedContext ctx;
  ctx.rank_ = rank;
  ctx.local_rank_ = rank;
  ctx.world_size_ = world_size;
  if (cuda_device >= 0) ctx.device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(cuda_device));
  if (world_size <= 1) return ctx;
  if (backend == CollectiveBackend::Nccl && cuda_device < 0)
    fail(ErrorKind::Usage, "the NCCL backend reduces CUDA tensors only: train with --device cuda or use gloo");
  if (backend == CollectiveBackend::Nccl && !nccl_available())
    fail(ErrorKind::Unavailable,
         "this segx was built without NCCL (LibTorch without it, or nccl.h not found): use gloo");
  ctx.impl_ = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(master_port);
    opts.isServer = rank == 0;
    opts.numWorkers = world_size;
    opts.timeout = std::chrono::minutes(5);
    ctx.impl_->store = c10::make_intrusive<c10d::TCPStore>(master_addr, opts);
#if defined(SEGX_HAVE_NCCL)
    if (backend == CollectiveBackend::Nccl) {
      ctx.impl_->group = detail::make_nccl_group(ctx.impl_->store, rank, world_size, cuda_device);
      ctx.impl_->backend = "nccl";
    }
#endif
    if (!ctx.impl_->group) {
      auto options = c10d::ProcessGroupGloo::Options::create();
      options->devices.push_back(make_device(master_addr));
      options->threads = 2;
      ctx.impl_->group = std::make_unique<detail::C10dGroup<c10d::ProcessGroupGloo>>(
          c10::make_intrusive<c10d::ProcessGroupGloo>(ctx.impl_->store, rank, world_size, options));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorKind::Unavailable, "cannot join process group at {}:{} as rank {}/{}: {}", master_addr,
         master_port, rank, world_size, e.what());
  }
  return ctx;
}

void DistributedContext::all_reduce_mean(const std::vector<torch::Tensor>& tensors) {
  if (!impl_ || tensors.empty()) return;
  // One flat buffer: a single collective instead of one per parameter.
  std::vector<torch::Tensor> flat_parts;
  for (const auto& t : tensors) flat_parts.push_back(t.reshape(-1));
  std::vector<torch::Tensor> buffer{torch::cat(flat_parts)};
  impl_->group->allreduce_sum(buffer);
  buffer[0].div_(world_size_);
  int64_t offset = 0;
  for (const auto& t : tensors) {
    auto n = t.numel();
    t.copy_(buffer[0].narrow(0, offset, n).view_as(t));
    offset += n;
  }
}

double DistributedContext::all_reduce_sum(double value) {
  if (!impl_) return value;
  std::vector<torch::Tensor> buffer{torch::tensor({value}, torch::kDouble).to(device_)};
  impl_->group->allreduce_sum(buffer);
  return buffer[0].item<double>();
}

void DistributedContext::broadcast_from_main(const std::vector<torch::Tensor>& tensors) {
  if (!impl_) return;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one{t};
    impl_->group->broadcast_from_rank0(one);
  }
}

void DistributedContext::barrier() {
  if (!impl_) return;
  impl_->group->barrier();
}

const char* DistributedContext::backend_name() const { return impl_ ? impl_->backend : "none"; }

}  // namespace segx::train
