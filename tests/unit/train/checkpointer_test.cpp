// Resume equals uninterrupted: a run saved and restored halfway ends with the same weights.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "segx/core/error.hpp"
#include "segx/io/safetensors.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/train/checkpointer.hpp"
#include "support/fixtures.hpp"

namespace segx::train {
namespace {

struct TinyNet : torch::nn::Module {
  TinyNet() {
    fc1 = register_module("fc1", torch::nn::Linear(4, 8));
    fc2 = register_module("fc2", torch::nn::Linear(8, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

// One step whose data comes from the global generator, as point sampling does in training.
void step(TinyNet& net, torch::optim::AdamW& opt) {
  auto x = torch::rand({16, 4});
  auto loss = (net.forward(x).squeeze(1) - x.sum(1)).pow(2).mean();
  opt.zero_grad();
  loss.backward();
  opt.step();
}

std::vector<torch::Tensor> weights(TinyNet& net) {
  std::vector<torch::Tensor> out;
  for (auto& p : net.parameters()) out.push_back(p.detach().clone());
  return out;
}

TEST(Checkpointer, ResumedRunEqualsUninterruptedRun) {
  auto dir = segx::test::temp_dir("ckpt");
  torch::manual_seed(11);
  TinyNet straight;
  torch::manual_seed(12);
  torch::optim::AdamW opt_a(straight.parameters(),
                            torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  for (int i = 0; i < 10; ++i) step(straight, opt_a);
  auto expected = weights(straight);

  torch::manual_seed(11);
  TinyNet first;
  torch::manual_seed(12);
  torch::optim::AdamW opt_b(first.parameters(),
                            torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  for (int i = 0; i < 5; ++i) step(first, opt_b);
  Checkpointer ckpt(dir, 2);
  ckpt.save(first, opt_b, {5});
  for (int i = 0; i < 3; ++i) step(first, opt_b);  // work after the checkpoint is lost

  torch::manual_seed(999);  // a fresh process: different initial weights and generator state
  TinyNet resumed;
  torch::optim::AdamW opt_c(resumed.parameters(),
                            torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  auto latest = ckpt.latest();
  ASSERT_TRUE(latest.has_value());
  auto progress = Checkpointer::load(*latest, resumed, opt_c);
  EXPECT_EQ(progress.iteration, 5);
  for (int i = 5; i < 10; ++i) step(resumed, opt_c);
  auto got = weights(resumed);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_TRUE(torch::equal(got[k], expected[k])) << k;
}

TEST(Checkpointer, KeepsTheLastN) {
  auto dir = segx::test::temp_dir("ckpt_keep");
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  Checkpointer ckpt(dir, 2);
  for (int it : {10, 20, 30}) ckpt.save(net, opt, {it});
  EXPECT_FALSE(std::filesystem::exists(dir / "model_0000010.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model_0000020.safetensors"));
  EXPECT_EQ(ckpt.latest()->filename(), "model_0000030.safetensors");
}

// A full disk while checkpointing: the write fails with an I/O error, and the previous
// checkpoint, the pointer to it and the folder (no temporary left) are as they were. The child
// process simulates the full disk with a file-size limit (writes past it fail with EFBIG).
TEST(Checkpointer, FullDiskLeavesThePreviousCheckpointIntact) {
  auto dir = segx::test::temp_dir("ckpt_full");
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  Checkpointer ckpt(dir, 3);
  ckpt.save(net, opt, {10});
  const auto before = weights(net);
  step(net, opt);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{512, 512};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      ckpt.save(net, opt, {20});
    } catch (const Error& e) {
      _exit(e.kind() == ErrorKind::IoError ? 0 : 2);
    }
    _exit(1);  // the save succeeded: the limit did not bite
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ckpt.latest()->filename(), "model_0000010.safetensors");
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, 2u);  // model_0000010.safetensors and last_checkpoint
  TinyNet restored;
  torch::optim::AdamW opt2(restored.parameters(), torch::optim::AdamWOptions(1e-3));
  EXPECT_EQ(Checkpointer::load(*ckpt.latest(), restored, opt2).iteration, 10);
  auto after = weights(restored);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(after[i].equal(before[i]));
}

ErrorKind load_error(const std::filesystem::path& file) {
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  try {
    Checkpointer::load(file, net, opt);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.filename().string()), std::string::npos) << e.what();
    return e.kind();
  }
  return ErrorKind::Internal;
}

TEST(Checkpointer, CorruptCheckpointIsADataError) {
  auto dir = segx::test::temp_dir("ckpt_bad");
  std::ofstream(dir / "model_0000001.safetensors") << "not a checkpoint";
  EXPECT_EQ(load_error(dir / "model_0000001.safetensors"), ErrorKind::DataError);
  std::ofstream(dir / "model_0000001.pt") << "not an archive";
  EXPECT_EQ(load_error(dir / "model_0000001.pt"), ErrorKind::DataError);
  // A safetensors file that is not a training checkpoint (e.g. model_final.safetensors).
  io::save_tensors((dir / "model_0000002.safetensors").string(), {{"w", torch::zeros({2})}});
  EXPECT_EQ(load_error(dir / "model_0000002.safetensors"), ErrorKind::DataError);
}

// The checkpoint is plain tensors and JSON: everything save() wrote is named, nothing else.
TEST(Checkpointer, ACheckpointIsSafetensorsWithJsonState) {
  auto dir = segx::test::temp_dir("ckpt_format");
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  step(net, opt);
  Checkpointer ckpt(dir, 0);
  const auto file = ckpt.save(net, opt, {1});
  EXPECT_EQ(file.filename(), "model_0000001.safetensors");
  const auto f = io::SafetensorsFile::read(file.string());
  EXPECT_EQ(f.metadata().at("format"), "segx-train-checkpoint");
  EXPECT_EQ(f.metadata().at("iteration"), "1");
  const auto state = nlohmann::json::parse(f.metadata().at("optimizer"));
  EXPECT_EQ(state.at("param_groups").at(0).at("params").size(), 4u);
  EXPECT_EQ(state.at("steps").at("fc1.weight"), 1);
  for (const char* name : {"model/fc1.weight", "model/fc2.bias", "optimizer/fc1.weight/exp_avg",
                           "optimizer/fc2.bias/exp_avg_sq", "rng/cpu"})
    EXPECT_TRUE(f.contains(name)) << name;
  EXPECT_EQ(f.names().size(), 4u + 8u + 1u);
}

struct OtherNet : torch::nn::Module {
  OtherNet() { fc1 = register_module("fc1", torch::nn::Linear(4, 9)); }
  torch::nn::Linear fc1{nullptr};
};

TEST(Checkpointer, ACheckpointOfAnotherModelIsRefusedNamingTheTensor) {
  auto dir = segx::test::temp_dir("ckpt_other");
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  Checkpointer ckpt(dir, 0);
  const auto file = ckpt.save(net, opt, {3});
  OtherNet other;
  torch::optim::AdamW other_opt(other.parameters(), torch::optim::AdamWOptions(1e-3));
  try {
    Checkpointer::load(file, other, other_opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("model/fc1.weight"), std::string::npos) << e.what();
  }
}

// A run started by an earlier segx (LibTorch archives, model_NNNNNNN.pt) resumes.
TEST(Checkpointer, LegacyArchivesStillResume) {
  auto dir = segx::test::temp_dir("ckpt_legacy");
  torch::manual_seed(3);
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-2));
  step(net, opt);
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  net.save(model_archive);
  opt.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("iteration", torch::tensor(std::int64_t{7}, torch::kLong));
  archive.write("cpu_rng_state", at::detail::getDefaultCPUGenerator().get_state());
  archive.save_to((dir / "model_0000007.pt").string());
  std::ofstream(dir / "last_checkpoint") << "model_0000007.pt\n";
  Checkpointer ckpt(dir, 2);
  TinyNet resumed;
  torch::optim::AdamW opt2(resumed.parameters(), torch::optim::AdamWOptions(1e-2));
  EXPECT_EQ(Checkpointer::load(*ckpt.latest(), resumed, opt2).iteration, 7);
  const auto a = weights(net), b = weights(resumed);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i]));
  // The next checkpoint is safetensors; pruning orders both kinds by iteration.
  ckpt.save(resumed, opt2, {8});
  ckpt.save(resumed, opt2, {9});
  EXPECT_FALSE(std::filesystem::exists(dir / "model_0000007.pt"));
}

}  // namespace
}  // namespace segx::train
