// Resume equals uninterrupted: a run saved and restored halfway ends with the same weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "segx/core/error.hpp"
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
  torch::optim::AdamW opt_a(straight.parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  for (int i = 0; i < 10; ++i) step(straight, opt_a);
  auto expected = weights(straight);

  torch::manual_seed(11);
  TinyNet first;
  torch::manual_seed(12);
  torch::optim::AdamW opt_b(first.parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
  for (int i = 0; i < 5; ++i) step(first, opt_b);
  Checkpointer ckpt(dir, 2);
  ckpt.save(first, opt_b, {5});
  for (int i = 0; i < 3; ++i) step(first, opt_b);  // work after the checkpoint is lost

  torch::manual_seed(999);  // a fresh process: different initial weights and generator state
  TinyNet resumed;
  torch::optim::AdamW opt_c(resumed.parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
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
  EXPECT_FALSE(std::filesystem::exists(dir / "model_0000010.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model_0000020.pt"));
  EXPECT_EQ(ckpt.latest()->filename(), "model_0000030.pt");
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
  EXPECT_EQ(ckpt.latest()->filename(), "model_0000010.pt");
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, 2u);  // model_0000010.pt and last_checkpoint
  TinyNet restored;
  torch::optim::AdamW opt2(restored.parameters(), torch::optim::AdamWOptions(1e-3));
  EXPECT_EQ(Checkpointer::load(*ckpt.latest(), restored, opt2).iteration, 10);
  auto after = weights(restored);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(after[i].equal(before[i]));
}

TEST(Checkpointer, CorruptCheckpointIsADataError) {
  auto dir = segx::test::temp_dir("ckpt_bad");
  std::ofstream(dir / "model_0000001.pt") << "not an archive";
  TinyNet net;
  torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(1e-3));
  try {
    Checkpointer::load(dir / "model_0000001.pt", net, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
  }
}

}  // namespace
}  // namespace segx::train
