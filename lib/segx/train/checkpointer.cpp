// Atomic, resumable training checkpoints as safetensors + JSON metadata (see checkpointer.hpp).
#include "segx/train/checkpointer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <type_traits>

#include "segx/core/error.hpp"
#include "segx/io/safetensors.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/io/stream.hpp"

namespace segx::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr const char* kPointerFile = "last_checkpoint";
constexpr const char* kFormat = "segx-train-checkpoint";

std::string checkpoint_name(std::int64_t iteration) {
  return fmt::format("model_{:07d}.safetensors", iteration);
}

// The optimizer's state map is keyed by the parameter's TensorImpl: as a pointer in recent
// LibTorch, as its printed address in LibTorch 1.13.
template <typename Map>
typename Map::key_type state_key(const Map&, const at::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

std::map<const void*, std::string> parameter_names(torch::nn::Module& model) {
  std::map<const void*, std::string> names;
  for (const auto& item : model.named_parameters(/*recurse=*/true))
    names[item.value().unsafeGetTensorImpl()] = item.key();
  return names;
}

// The checkpoint of a LibTorch archive written by segx before 0.2 (trusted input: LibTorch's
// reader is not hardened against hostile files).
TrainProgress load_legacy_archive(const fs::path& file, torch::nn::Module& model,
                                  torch::optim::AdamW& optimizer) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
  } catch (const c10::Error& e) {
    fail(ErrorKind::DataError, "cannot read checkpoint '{}': {}", file.string(),
         e.what_without_backtrace());
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
    fail(ErrorKind::Config, "checkpoint '{}' does not fit this model: {}", file.string(),
         e.what_without_backtrace());
  }
  return progress;
}

bool is_checkpoint_file(const std::string& name) {
  static const std::regex pattern(R"(model_\d{7}\.(safetensors|pt))");
  return std::regex_match(name, pattern);
}

}  // namespace

Checkpointer::Checkpointer(fs::path dir, int keep_last)
    : dir_(std::move(dir)), keep_last_(keep_last) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    fail(ErrorKind::CannotCreate, "cannot create checkpoint directory '{}': {}", dir_.string(),
         ec.message());
}

fs::path Checkpointer::save(torch::nn::Module& model, torch::optim::AdamW& optimizer,
                            const TrainProgress& progress) {
  io::TensorMap tensors;
  for (const auto& item : model.named_parameters(true))
    tensors["model/" + item.key()] = item.value().detach();
  for (const auto& item : model.named_buffers(true))
    tensors["model/" + item.key()] = item.value().detach();
  const auto names = parameter_names(model);
  json groups = json::array(), steps = json::object();
  auto& state = optimizer.state();
  for (auto& group : optimizer.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    json params = json::array();
    for (const auto& p : group.params()) {
      const auto name = names.find(p.unsafeGetTensorImpl());
      if (name == names.end())
        fail(ErrorKind::Internal, "an optimized tensor is not a parameter of the model");
      params.push_back(name->second);
      const auto it = state.find(state_key(state, p));
      if (it == state.end()) continue;  // not stepped yet
      const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
      steps[name->second] = s.step();
      const std::string prefix = "optimizer/" + name->second + "/";
      tensors[prefix + "exp_avg"] = s.exp_avg();
      tensors[prefix + "exp_avg_sq"] = s.exp_avg_sq();
      if (s.max_exp_avg_sq().defined()) tensors[prefix + "max_exp_avg_sq"] = s.max_exp_avg_sq();
    }
    groups.push_back({{"lr", o.lr()},
                      {"weight_decay", o.weight_decay()},
                      {"eps", o.eps()},
                      {"betas", {std::get<0>(o.betas()), std::get<1>(o.betas())}},
                      {"amsgrad", o.amsgrad()},
                      {"params", params}});
  }
  tensors["rng/cpu"] = at::detail::getDefaultCPUGenerator().get_state();

  const fs::path target = dir_ / checkpoint_name(progress.iteration);
  // Doubles print exactly (nlohmann writes the shortest text that reads back the same value).
  io::save_tensors(target.string(), tensors,
                   {{"format", kFormat},
                    {"version", "1"},
                    {"iteration", std::to_string(progress.iteration)},
                    {"optimizer", json{{"param_groups", groups}, {"steps", steps}}.dump()}});
  io::write_file_atomic((dir_ / kPointerFile).string(), target.filename().string() + "\n");
  prune();
  return target;
}

std::optional<fs::path> Checkpointer::latest() const {
  std::ifstream in(dir_ / kPointerFile);
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) return std::nullopt;
  if (!is_checkpoint_file(name))
    fail(ErrorKind::DataError, "'{}' names '{}', which is not a checkpoint file",
         (dir_ / kPointerFile).string(), name);
  fs::path file = dir_ / name;
  if (!fs::exists(file))
    fail(ErrorKind::NoInput, "'{}' names '{}', which does not exist",
         (dir_ / kPointerFile).string(), name);
  return file;
}

TrainProgress Checkpointer::load(const fs::path& file, torch::nn::Module& model,
                                 torch::optim::AdamW& optimizer) {
  if (file.extension() == ".pt") return load_legacy_archive(file, model, optimizer);
  const auto source = file.string();
  const auto f = io::SafetensorsFile::read(source);  // offsets, dtypes and shapes checked
  const auto& meta = f.metadata();
  auto meta_value = [&](const char* key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end())
      fail(ErrorKind::DataError, "'{}': not a segx training checkpoint (no \"{}\" in its metadata)",
           source, key);
    return it->second;
  };
  if (meta_value("format") != kFormat)
    fail(ErrorKind::DataError, "'{}': not a segx training checkpoint (format '{}')", source,
         meta_value("format"));
  if (meta_value("version") != "1")
    fail(ErrorKind::DataError, "'{}': checkpoint version {} is newer than this segx reads", source,
         meta_value("version"));
  TrainProgress progress;
  json opt;
  try {
    progress.iteration = std::stoll(meta_value("iteration"));
    opt = json::parse(meta_value("optimizer"));
  } catch (const std::exception& e) {
    fail(ErrorKind::DataError, "'{}': malformed checkpoint metadata: {}", source, e.what());
  }
  auto tensor = [&](const std::string& name, const at::Tensor& like) {
    if (!f.contains(name))
      fail(ErrorKind::Config, "checkpoint '{}' does not fit this model: no tensor '{}'", source,
           name);
    auto t = io::to_tensor(f, name);
    if (t.sizes() != like.sizes() || t.scalar_type() != like.scalar_type())
      fail(ErrorKind::Config,
           "checkpoint '{}' does not fit this model: '{}' is {} {}, the model's is {} {}", source,
           name, c10::toString(t.scalar_type()), c10::str(t.sizes()),
           c10::toString(like.scalar_type()), c10::str(like.sizes()));
    return t;
  };

  std::size_t expected = 1;  // rng/cpu
  {
    torch::NoGradGuard no_grad;
    for (auto& item : model.named_parameters(true)) {
      item.value().copy_(tensor("model/" + item.key(), item.value()));
      ++expected;
    }
    for (auto& item : model.named_buffers(true)) {
      item.value().copy_(tensor("model/" + item.key(), item.value()));
      ++expected;
    }
  }
  const auto names = parameter_names(model);
  auto& groups = optimizer.param_groups();
  try {
    const auto& saved = opt.at("param_groups");
    const auto& steps = opt.at("steps");
    if (saved.size() != groups.size())
      fail(ErrorKind::Config, "checkpoint '{}' has {} optimizer param groups, this run has {}",
           source, saved.size(), groups.size());
    auto& state = optimizer.state();
    state.clear();
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const auto& s = saved[g];
      auto& o = static_cast<torch::optim::AdamWOptions&>(groups[g].options());
      o.lr(s.at("lr").get<double>());
      o.weight_decay(s.at("weight_decay").get<double>());
      o.eps(s.at("eps").get<double>());
      o.betas({s.at("betas").at(0).get<double>(), s.at("betas").at(1).get<double>()});
      o.amsgrad(s.at("amsgrad").get<bool>());
      const auto& params = groups[g].params();
      if (s.at("params").size() != params.size())
        fail(ErrorKind::Config,
             "checkpoint '{}': optimizer group {} has {} parameters, this run {}", source, g,
             s.at("params").size(), params.size());
      for (std::size_t k = 0; k < params.size(); ++k) {
        const auto& p = params[k];
        const std::string name = names.at(p.unsafeGetTensorImpl());
        if (s.at("params")[k].get<std::string>() != name)
          fail(ErrorKind::Config,
               "checkpoint '{}': optimizer group {} parameter {} is '{}', this run's is '{}'",
               source, g, k, s.at("params")[k].get<std::string>(), name);
        if (!steps.contains(name)) continue;
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->step(steps.at(name).get<std::int64_t>());
        const std::string prefix = "optimizer/" + name + "/";
        st->exp_avg(tensor(prefix + "exp_avg", p).to(p.device()));
        st->exp_avg_sq(tensor(prefix + "exp_avg_sq", p).to(p.device()));
        expected += 2;
        if (f.contains(prefix + "max_exp_avg_sq")) {
          st->max_exp_avg_sq(tensor(prefix + "max_exp_avg_sq", p).to(p.device()));
          ++expected;
        }
        state[state_key(state, p)] = std::move(st);
      }
    }
  } catch (const json::exception& e) {
    fail(ErrorKind::DataError, "'{}': malformed optimizer metadata: {}", source, e.what());
  }
  if (f.names().size() != expected)
    fail(ErrorKind::Config,
         "checkpoint '{}' does not fit this model: it holds {} tensors, {} expected", source,
         f.names().size(), expected);
  auto rng = io::to_tensor(f, "rng/cpu");
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  try {
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    fail(ErrorKind::DataError, "'{}': bad generator state: {}", source, e.what_without_backtrace());
  }
  return progress;
}

void Checkpointer::prune() {
  if (keep_last_ <= 0) return;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_))
    if (is_checkpoint_file(entry.path().filename().string())) files.push_back(entry.path());
  // Zero-padded iteration numbers sort by age (an old run's .pt before its .safetensors).
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.stem().string() < b.stem().string() ||
           (a.stem() == b.stem() && a.extension() == ".pt");
  });
  for (std::size_t k = 0; k + keep_last_ < files.size(); ++k) {
    std::error_code ec;
    fs::remove(files[k], ec);
  }
}

}  // namespace segx::train
