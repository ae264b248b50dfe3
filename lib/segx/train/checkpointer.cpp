// Atomic, resumable training checkpoints in LibTorch's archive format.
#include "segx/train/checkpointer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::train {
namespace fs = std::filesystem;

namespace {
constexpr const char* kPointerFile = "last_checkpoint";

std::string checkpoint_name(std::int64_t iteration) {
  return fmt::format("model_{:07d}.pt", iteration);
}
}  // namespace

Checkpointer::Checkpointer(fs::path dir, int keep_last) : dir_(std::move(dir)), keep_last_(keep_last) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail(ErrorKind::CannotCreate, "cannot create checkpoint directory '{}': {}", dir_.string(), ec.message());
}

fs::path Checkpointer::save(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                            const TrainProgress& progress) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("iteration", torch::tensor(progress.iteration, torch::kLong));
  archive.write("cpu_rng_state", at::detail::getDefaultCPUGenerator().get_state());

  fs::path target = dir_ / checkpoint_name(progress.iteration);
  // Serialise to memory first: a failure (e.g. a full disk) then never touches the target.
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    fail(ErrorKind::IoError, "cannot serialise checkpoint '{}': {}", target.string(), e.what_without_backtrace());
  }
  io::write_file_atomic(target.string(), bytes.str());
  io::write_file_atomic((dir_ / kPointerFile).string(), target.filename().string() + "\n");
  prune();
  return target;
}

std::optional<fs::path> Checkpointer::latest() const {
  std::ifstream in(dir_ / kPointerFile);
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) return std::nullopt;
  fs::path file = dir_ / name;
  if (!fs::exists(file))
    fail(ErrorKind::NoInput, "'{}' names '{}', which does not exist", (dir_ / kPointerFile).string(), name);
  return file;
}

TrainProgress Checkpointer::load(const fs::path& file, torch::nn::Module& model,
                                 torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
  } catch (const c10::Error& e) {
    fail(ErrorKind::DataError, "cannot read checkpoint '{}': {}", file.string(), e.what_without_backtrace());
  }
  TrainProgress progress;
  try {
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor iteration, rng;
    archive.read("iteration", iteration);
    archive.read("cpu_rng_state", rng);
    progress.iteration = iteration.item<std::int64_t>();
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    fail(ErrorKind::Config, "checkpoint '{}' does not fit this model: {}", file.string(), e.what_without_backtrace());
  }
  return progress;
}

void Checkpointer::prune() {
  if (keep_last_ <= 0) return;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    auto name = entry.path().filename().string();
    if (name.rfind("model_", 0) == 0 && entry.path().extension() == ".pt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // zero-padded iteration numbers sort by age
  for (std::size_t k = 0; k + keep_last_ < files.size(); ++k) {
    std::error_code ec;
    fs::remove(files[k], ec);
  }
}

}  // namespace segx::train
