// The training loop on a tiny model and a tiny synthetic set: deterministic batches, rank
// slices, config errors, loss going down, and resume == uninterrupted, bit for bit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "segx/core/error.hpp"
#include "segx/dataset/synth.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/model.hpp"
#include "segx/train/data_loader.hpp"
#include "segx/train/record_annotations.hpp"
#include "segx/train/trainer.hpp"
#include "segx/train/trainer_hooks.hpp"
#include "support/fixtures.hpp"
#include "support/train_configs.hpp"

namespace segx::train {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path& synth_dir() {
  static fs::path dir = [] {
    auto d = test::temp_dir("trainer_synth") / "synth";
    dataset::SynthOptions o;
    o.images = 6;
    o.width = 96;
    o.height = 72;
    o.seed = 4;
    dataset::generate_synth(o, d.string());
    return d;
  }();
  return dir;
}

json tiny_run(int iterations, int batch) {
  return {{"datasets", {{{"name", "synth"}, {"path", (synth_dir() / "manifest.jsonl").string()}}}},
          {"model", test::tiny_model()},
          {"solver",
           {{"base_lr", 1e-3},
            {"max_iter", iterations},
            {"ims_per_batch", batch},
            {"checkpoint_period", 1000},
            {"log_period", 1},
            {"warmup_iters", 2},
            {"warmup_factor", 0.1}}},
          {"input", {{"crop_size", 64}, {"min_scale", 0.5}, {"max_scale", 1.5}}},
          {"loss", {{"num_points", 256}}},
          {"seed", 9}};
}

TrainConfig config_of(const json& j) {
  return parse_train_config(j.dump(), "t.json", ".");
}

// A single-rank loader of `batch` images per iteration with the config's augmentation.
LoaderOptions loader_options(const TrainConfig& config, int batch, std::uint64_t seed) {
  LoaderOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.jitter = config.jitter;
  return o;
}

struct Run {
  std::unique_ptr<Trainer> trainer;
  TrainStatus status;
};

Run train_run(const json& j, const fs::path& out, bool resume, std::int64_t stop_at,
              DistributedContext& dist, int chunks = 2) {
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  TrainerOptions o;
  o.output_dir = out.string();
  o.resume = resume;
  o.stop_at = stop_at;
  o.chunks = chunks;
  Run r;
  r.trainer = std::make_unique<Trainer>(config, data.classes, data.datasets, o, dist);
  r.trainer->add_hook(std::make_unique<MetricsWriter>());
  r.trainer->add_hook(std::make_unique<PeriodicCheckpointer>());
  r.status = r.trainer->train();
  return r;
}

TEST(DataLoader, BatchesArePureFunctionsOfTheIterationAndRanksSliceThem) {
  auto config = config_of(tiny_run(4, 3));
  auto data = load_train_data(config, "");
  auto o = loader_options(config, 3, 5);
  auto a = load_batch(data.datasets, o, data.classes.names, 7);
  auto b = load_batch(data.datasets, o, data.classes.names, 7);
  auto c = load_batch(data.datasets, o, data.classes.names, 8);
  ASSERT_EQ(a.images.sizes(), (std::vector<std::int64_t>{3, 3, 64, 64}));
  EXPECT_TRUE(at::equal(a.images, b.images));
  EXPECT_FALSE(at::equal(a.images, c.images));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(at::equal(a.targets[i].masks, b.targets[i].masks));
    EXPECT_EQ(a.targets[i].masks.size(0), a.targets[i].labels.size(0));
    EXPECT_EQ(a.targets[i].masks.size(1), 64);
  }
  // Ranks 0 and 1 of 2 hold images [0, 2) and [2, 3) of the same global batch.
  o.world_size = 2;
  o.rank = 1;
  auto r1 = load_batch(data.datasets, o, data.classes.names, 7);
  ASSERT_EQ(r1.images.size(0), 1);
  EXPECT_TRUE(at::equal(r1.images[0], a.images[2]));
  EXPECT_EQ(r1.slots, std::vector<std::uint64_t>{2});
  EXPECT_EQ(rank_slice(5, 0, 2), (std::pair<int, int>{0, 3}));
  EXPECT_EQ(rank_slice(5, 1, 2), (std::pair<int, int>{3, 2}));
  // Every image of an epoch once: 6 images, batch 3 -> iterations 0 and 1 cover them all.
  o.world_size = 1;
  o.rank = 0;
  std::set<std::string> seen;
  for (int it = 0; it < 2; ++it) {
    auto batch = load_batch(data.datasets, o, data.classes.names, it);
    for (int k = 0; k < 3; ++k)
      seen.insert(std::to_string(batch.images[k].sum().item<std::int64_t>()));
  }
  EXPECT_GE(seen.size(), 5u);  // (crops of distinct images; equal sums are unlikely)
}

// loss.unlabeled_ignore's input: the pixels no target covers (void, crowd, the padding of a
// crop); instance targets leave stuff out, which is unlabelled for a model without task prompts
// and "no object" for OneFormer's instance prompt (none kept there).
TEST(DataLoader, UnlabeledRegionsAreThePixelsNoTargetCovers) {
  auto j = tiny_run(4, 3);
  j["datasets"][0]["tasks"] = {"panoptic", "instance", "semantic"};
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  auto o = loader_options(config, 3, 5);
  for (std::int64_t it = 0; it < 4; ++it)
    for (const auto& t : load_batch(data.datasets, o, data.classes.names, it).targets)
      EXPECT_FALSE(t.unlabeled.defined()) << "kept without loss.unlabeled_ignore";
  o.unlabeled_regions = true;
  std::map<Task, int> seen;
  std::int64_t unlabeled_pixels = 0;
  for (std::int64_t it = 0; it < 16; ++it) {
    o.task_conditioned = it % 2 == 1;
    auto batch = load_batch(data.datasets, o, data.classes.names, it);
    for (std::size_t i = 0; i < batch.targets.size(); ++i) {
      const auto& t = batch.targets[i];
      seen[batch.tasks[i]]++;
      if (batch.tasks[i] == Task::Instance && o.task_conditioned) {
        EXPECT_FALSE(t.unlabeled.defined());
        continue;
      }
      ASSERT_TRUE(t.unlabeled.defined());
      ASSERT_EQ(t.unlabeled.sizes(), (std::vector<std::int64_t>{64, 64}));
      auto covered = t.masks.size(0) > 0 ? t.masks.sum(0).gt(0) : torch::zeros({64, 64}, torch::kBool);
      EXPECT_TRUE(at::equal(t.unlabeled.gt(0.5), covered.logical_not()));
      unlabeled_pixels += t.unlabeled.sum().item<std::int64_t>();
    }
  }
  EXPECT_GT(seen[Task::Instance], 0);
  EXPECT_GT(seen[Task::Panoptic] + seen[Task::Semantic], 0);
  EXPECT_GT(unlabeled_pixels, 0) << "crops at scale 0.5 are padded: some pixel is unlabelled";
}

// A boxes-only image's unlabelled pixels: those outside every box (boxes normalised to the crop).
TEST(DataLoader, BoxesOnlyImagesAreUnlabelledOutsideTheirBoxes) {
  InstanceTargets t;
  t.labels = torch::tensor({int64_t{0}, int64_t{1}});
  t.boxes = torch::tensor({0.25f, 0.25f, 0.5f, 0.75f, 0.9f, 0.0f, 1.0f, 0.1f}).view({2, 4});
  auto outside = outside_boxes(t, 8, 10);  // 8 rows, 10 columns
  auto expected = torch::ones({8, 10});
  expected.narrow(0, 2, 4).narrow(1, 2, 3).zero_();  // rows 2-5, columns 2.5-5 -> 2-4
  expected.narrow(0, 0, 1).narrow(1, 9, 1).zero_();  // rows 0-0.8, columns 9-10
  EXPECT_TRUE(at::equal(outside, expected)) << outside;
  InstanceTargets none;
  none.labels = torch::zeros({0}, torch::kLong);
  none.boxes = torch::zeros({0, 4});
  EXPECT_EQ(outside_boxes(none, 4, 4).sum().item<float>(), 16.0f);
}

TEST(DataLoader, DatasetsAreDrawnByTheirRates) {
  auto j = tiny_run(4, 1);
  j["datasets"][0]["slice"] = {0, 3};
  j["datasets"][0]["rate"] = 3.0;
  j["datasets"][1] = j["datasets"][0];
  j["datasets"][1]["name"] = "second";
  j["datasets"][1]["slice"] = {3, 6};
  j["datasets"][1]["rate"] = 1.0;
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  ASSERT_EQ(data.datasets.size(), 2u);
  auto o = loader_options(config, 1, 3);
  o.jitter.crop_height = o.jitter.crop_width = 32;
  int first = 0;
  const int n = 400;
  for (int it = 0; it < n; ++it)
    first += load_batch(data.datasets, o, data.classes.names, it).dataset == 0;
  EXPECT_NEAR(first / double(n), 0.75, 0.06);
}

TEST(DataLoader, PrefetchingLoaderReturnsTheSameBatchesInOrder) {
  auto config = config_of(tiny_run(4, 2));
  auto data = load_train_data(config, "");
  auto o = loader_options(config, 2, 1);
  o.workers = 2;
  o.prefetch = 3;
  DataLoader loader(data.datasets, data.classes.names, o, 5);
  for (std::int64_t it = 5; it < 9; ++it) {
    auto b = loader.next();
    EXPECT_EQ(b.iteration, it);
    EXPECT_TRUE(at::equal(b.images, load_batch(data.datasets, o, data.classes.names, it).images));
  }
}

std::string error_of(const json& j, ErrorKind* kind) {
  try {
    config_of(j);
  } catch (const Error& e) {
    *kind = e.kind();
    return e.what();
  }
  return "";
}

TEST(TrainConfig, BadFieldsNameTheFileAndTheField) {
  ErrorKind kind{};
  auto j = tiny_run(4, 2);
  j["solver"]["base_lr"] = -1;
  auto msg = error_of(j, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("'t.json'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("solver.base_lr"), std::string::npos) << msg;
  j = tiny_run(4, 2);
  j["datasets"][0]["rate"] = 0;
  msg = error_of(j, &kind);
  EXPECT_NE(msg.find("datasets[0].rate"), std::string::npos) << msg;
  j = tiny_run(4, 2);
  j["datasets"][0]["tasks"] = {"panoptic", "depth"};
  msg = error_of(j, &kind);
  EXPECT_NE(msg.find("datasets[0].tasks"), std::string::npos) << msg;
  j = tiny_run(4, 2);
  j["solver"]["max_iters"] = 3;
  msg = error_of(j, &kind);
  EXPECT_NE(msg.find("unknown key \"solver.max_iters\" (did you mean \"solver.max_iter\"?)"),
            std::string::npos)
      << msg;
  j = tiny_run(4, 2);
  j["model"]["num_classes"] = 3;
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  try {
    resolve_model_config(config, data.classes);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("30 classes"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, EmptySliceIsAnEmptyDataset) {
  auto j = tiny_run(4, 2);
  j["datasets"][0]["slice"] = {6, 10};
  auto config = config_of(j);
  try {
    load_train_data(config, "");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find("no images"), std::string::npos) << e.what();
  }
}

std::string read_text(const fs::path& p) {
  return test::read_file(p);
}

std::map<std::string, at::Tensor> final_weights(const fs::path& out, const char* file) {
  return io::load_tensors((out / file).string());
}

TEST(Trainer, ResumedRunEndsWithTheUninterruptedRunsWeightsBitForBit) {
  DistributedContext single;
  auto root = test::temp_dir("trainer_resume");
  auto j = tiny_run(6, 2);
  auto straight = train_run(j, root / "straight", false, 0, single);
  EXPECT_EQ(straight.status, TrainStatus::Finished);
  auto first = train_run(j, root / "split", false, 3, single);
  EXPECT_EQ(first.status, TrainStatus::Stopped);
  EXPECT_EQ(first.trainer->iteration(), 3);
  EXPECT_TRUE(fs::exists(root / "split" / "model_0000003.safetensors"));
  first.trainer.reset();
  auto mid = final_weights(root / "split", "model_last.safetensors");
  auto second = train_run(j, root / "split", true, 0, single);
  EXPECT_EQ(second.status, TrainStatus::Finished);
  auto a = final_weights(root / "straight", "model_final.safetensors");
  auto b = final_weights(root / "split", "model_final.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << name;
  // Training moved the weights between iterations 3 and 6.
  EXPECT_FALSE(at::equal(mid.at("sem_seg_head.predictor.query_feat.weight"),
                         a.at("sem_seg_head.predictor.query_feat.weight")));
  // metrics.jsonl: one line per logged iteration (log_period 1), the resumed run appending.
  std::ifstream in(root / "split" / "metrics.jsonl");
  std::string line;
  std::vector<json> lines;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[5].at("iteration"), 5);
  for (const char* key : {"loss_ce", "loss_mask", "loss_dice", "loss_ce_0", "total_loss", "lr",
                          "time", "data_time", "max_rss_mb"})
    EXPECT_TRUE(lines[0].contains(key)) << key;
  EXPECT_DOUBLE_EQ(lines[0].at("lr").get<double>(), 1e-3 * 0.1);
}

TEST(Trainer, ParallelChunksComputeTheWholeBatchsStep) {
  DistributedContext single;
  auto root = test::temp_dir("trainer_chunks");
  auto j = tiny_run(3, 4);
  j["solver"]["base_lr"] = 1e-5;  // (AdamW turns rounding noise on ~0 gradients into steps)
  train_run(j, root / "one", false, 0, single, 1);
  train_run(j, root / "three", false, 0, single, 3);
  auto a = final_weights(root / "one", "model_final.safetensors");
  auto b = final_weights(root / "three", "model_final.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a)
    EXPECT_LT((t - b.at(name)).abs().max().item<double>(), 1e-6) << name;
}

TEST(Trainer, NonFiniteLossStopsWithTheTermAndKeepsTheLastCheckpoint) {
  DistributedContext single;
  auto out = test::temp_dir("trainer_nan") / "run";
  auto j = tiny_run(6, 2);
  j["solver"]["checkpoint_period"] = 2;
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  TrainerOptions o;
  o.output_dir = out.string();
  Trainer trainer(config, data.classes, data.datasets, o, single);
  trainer.add_hook(std::make_unique<PeriodicCheckpointer>());
  trainer.add_loss([](const StepContext& ctx) {
    std::map<std::string, torch::Tensor> extra;
    const double v = ctx.iteration == 3 ? std::nan("") : 0.0;
    extra["loss_extra"] = ctx.output->pred_logits.sum() * 0 + v;
    return extra;
  });
  try {
    trainer.train();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("loss is nan at iteration 3 (loss_extra = nan)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model_0000002.safetensors' is intact"), std::string::npos) << msg;
  }
  EXPECT_EQ(read_text(out / "last_checkpoint"), "model_0000002.safetensors\n");
}

TEST(Trainer, LogitsTransformSeesEveryLayer) {
  DistributedContext single;
  auto out = test::temp_dir("trainer_logits") / "run";
  auto config = config_of(tiny_run(1, 2));
  auto data = load_train_data(config, "");
  TrainerOptions o;
  o.output_dir = out.string();
  Trainer trainer(config, data.classes, data.datasets, o, single);
  int calls = 0;
  trainer.set_logits_transform([&](const TrainBatch& b, const torch::Tensor& logits) {
    EXPECT_EQ(logits.size(0), static_cast<std::int64_t>(b.targets.size()));
    ++calls;
    return logits;
  });
  trainer.train();
  EXPECT_EQ(calls, 2);  // dec_layers 2: the final layer and one auxiliary
}

TEST(DataLoader, TasksAreDrawnUniformlyFromTheDatasetsTaskList) {
  const std::vector<Task> three{Task::Panoptic, Task::Instance, Task::Semantic};
  std::map<Task, int> count;
  const int iterations = 2000, slots = 3;
  for (int it = 0; it < iterations; ++it)
    for (std::uint64_t slot = 0; slot < slots; ++slot) count[draw_task(three, 7, it, slot)]++;
  for (Task t : three)
    EXPECT_NEAR(count[t] / double(iterations * slots), 1.0 / 3, 0.02) << task_name(t);
  count.clear();
  for (int it = 0; it < iterations; ++it)
    count[draw_task({Task::Panoptic, Task::Semantic}, 7, it, 0)]++;
  EXPECT_EQ(count.count(Task::Instance), 0u);
  EXPECT_NEAR(count[Task::Semantic] / double(iterations), 0.5, 0.03);
  EXPECT_EQ(draw_task({Task::Instance}, 7, 3, 1), Task::Instance);

  // The loader uses that draw per slot and makes the task's texts.
  auto j = tiny_run(4, 3);
  j["datasets"][0]["tasks"] = {"panoptic", "instance", "semantic"};
  auto config = config_of(j);
  auto data = load_train_data(config, "");
  auto o = loader_options(config, 3, 5);
  o.num_text_queries = 6;
  for (std::int64_t it = 0; it < 4; ++it) {
    auto b = load_batch(data.datasets, o, data.classes.names, it);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(b.tasks[k], draw_task(data.datasets[0].spec.tasks, 5, it, b.slots[k]));
      // One "a photo with a {class}" per target, then the task's filler.
      ASSERT_EQ(b.texts[k].size(), 6u);
      const auto named = std::min<std::int64_t>(b.targets[k].labels.size(0), 6);
      const std::string filler = b.tasks[k] == Task::Instance
                                     ? "an instance photo"
                                     : std::string("a ") + task_name(b.tasks[k]) + " photo";
      for (std::int64_t t = 0; t < 6; ++t)
        EXPECT_EQ(b.texts[k][t].rfind(t < named ? "a photo with a " : filler, 0), 0u)
            << b.texts[k][t];
    }
  }
}

// A tiny OneFormer: hidden_dim 64 so that the text encoder (width a multiple of 64) can carry
// the prompt context; one text layer.
json tiny_oneformer_run(int iterations, int batch) {
  auto j = tiny_run(iterations, batch);
  j["model"]["architecture"] = "oneformer";
  j["model"]["decoder"]["hidden_dim"] = 64;
  j["datasets"][0]["tasks"] = {"panoptic", "instance", "semantic"};
  j["text_encoder"] = {
      {"tokenizer",
       (test::fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz").string()},
      {"layers", 1},
      {"n_ctx", 2}};
  return j;
}

std::vector<json> metrics_lines(const fs::path& out) {
  std::vector<json> lines;
  std::ifstream in(out / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

TEST(OneFormerTrainer, StepLossIncludesTheWeightedContrastiveTermOverTheWholeBatch) {
  SEGX_REQUIRE_FIXTURES();
  DistributedContext single;
  auto root = test::temp_dir("trainer_oneformer");
  auto j = tiny_oneformer_run(2, 4);
  train_run(j, root / "two_chunks", false, 0, single, 2);
  auto m = metrics_lines(root / "two_chunks");
  ASSERT_EQ(m.size(), 2u);
  const double contrastive = m[0].at("loss_contrastive").get<double>();
  EXPECT_GT(contrastive, 0.0);
  // The total: SetCriterion's terms by their weights plus the (weighted) contrastive term.
  auto options = config_of(j).criterion;
  options.num_classes = 1;  // (weights only)
  SetCriterion criterion(options);
  double sum = contrastive;
  for (const auto& [key, value] : m[0].items())
    if (key.rfind("loss_", 0) == 0 && key != "loss_contrastive")
      sum += criterion.weight_of(key) * value.get<double>();
  EXPECT_NEAR(m[0].at("total_loss").get<double>(), sum, 1e-4 * sum);
  // Every image is contrasted with the whole batch, however the batch is split into chunks.
  train_run(j, root / "one_chunk", false, 0, single, 1);
  EXPECT_NEAR(metrics_lines(root / "one_chunk")[0].at("loss_contrastive").get<double>(),
              contrastive, 1e-5);
  // The term carries loss.contrastive_weight (upstream default 0.5).
  j["loss"]["contrastive_weight"] = 1.0;
  train_run(j, root / "weight_1", false, 0, single, 2);
  EXPECT_NEAR(metrics_lines(root / "weight_1")[0].at("loss_contrastive").get<double>(),
              2 * contrastive, 1e-5);

  // Weight 0 leaves the term out: no loss_contrastive, the text side saved as it started, the
  // rest of the total unchanged on the first step (same seed, same batch).
  j["loss"]["contrastive_weight"] = 0.0;
  train_run(j, root / "weight_0", false, 0, single, 2);
  const auto without = metrics_lines(root / "weight_0");
  ASSERT_EQ(without.size(), 2u);
  EXPECT_FALSE(without[0].contains("loss_contrastive"));
  EXPECT_NEAR(without[0].at("total_loss").get<double>(), sum - contrastive, 1e-4 * sum);
  auto untouched = final_weights(root / "weight_0", "model_final.safetensors");
  auto trained = final_weights(root / "two_chunks", "model_final.safetensors");
  EXPECT_EQ(untouched.at("criterion.logit_scale").item<float>(),
            static_cast<float>(std::log(1 / 0.07)));
  EXPECT_NE(trained.at("criterion.logit_scale").item<float>(),
            static_cast<float>(std::log(1 / 0.07)));

  // The text side is trained and saved with upstream names; inference loads the file anyway.
  auto saved = final_weights(root / "two_chunks", "model_final.safetensors");
  for (const char* name : {"text_encoder.token_embedding.weight", "text_projector.layers.1.bias",
                           "prompt_ctx.weight", "criterion.logit_scale"})
    EXPECT_EQ(saved.count(name), 1u) << name;
  EXPECT_NE(saved.at("criterion.logit_scale").item<double>(), std::log(1 / 0.07));
  auto model_config = model::load_model_config((root / "two_chunks/model_config.json").string());
  EXPECT_NO_THROW(
      model::load_model(model_config, (root / "two_chunks/model_final.safetensors").string()));
}

TEST(OneFormerTrainer, ResumedRunEndsWithTheUninterruptedRunsWeightsBitForBit) {
  SEGX_REQUIRE_FIXTURES();
  DistributedContext single;
  auto root = test::temp_dir("trainer_oneformer_resume");
  auto j = tiny_oneformer_run(4, 2);
  train_run(j, root / "straight", false, 0, single);
  train_run(j, root / "split", false, 2, single);
  auto mid = final_weights(root / "split", "model_last.safetensors");
  train_run(j, root / "split", true, 0, single);
  auto a = final_weights(root / "straight", "model_final.safetensors");
  auto b = final_weights(root / "split", "model_final.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << name;
  EXPECT_FALSE(at::equal(mid.at("text_encoder.positional_embedding"),
                         a.at("text_encoder.positional_embedding")));
}

TEST(OneFormerTrainer, TokenizerIsRequiredAndMustExist) {
  DistributedContext single;
  auto root = test::temp_dir("trainer_oneformer_bad");
  auto expect_config_error = [&](const json& j, const std::string& part) {
    auto config = config_of(j);
    auto data = load_train_data(config, "");
    TrainerOptions o;
    o.output_dir = (root / "run").string();
    try {
      Trainer trainer(config, data.classes, data.datasets, o, single);
      ADD_FAILURE() << "no error for " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("'t.json'"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(root / "run"));
  };
  auto j = tiny_oneformer_run(1, 2);
  ErrorKind kind{};
  j["text_encoder"]["width"] = 32;
  EXPECT_NE(error_of(j, &kind).find("text_encoder.width must be a multiple of 64"),
            std::string::npos);
  j["text_encoder"].erase("width");
  j["loss"]["contrastive_temperature"] = 0;
  EXPECT_NE(error_of(j, &kind).find("loss.contrastive_temperature must be positive"),
            std::string::npos);
  j["loss"].erase("contrastive_temperature");
  j.erase("text_encoder");
  expect_config_error(j, "needs text_encoder.tokenizer");
  j["text_encoder"] = {{"tokenizer", (root / "missing.txt.gz").string()}};
  expect_config_error(j, "missing.txt.gz' does not exist");
  if (test::fixtures_root().empty()) return;
  j = tiny_oneformer_run(1, 2);
  j["text_encoder"]["n_ctx"] = 8;  // = num_queries
  expect_config_error(j, "text_encoder.n_ctx 8 leaves no text queries");
}

TEST(OneFormerTrainer, FineTuningTakesTheTextSideFromTheWeights) {
  SEGX_REQUIRE_FIXTURES();
  DistributedContext single;
  auto root = test::temp_dir("trainer_oneformer_finetune");
  auto j = tiny_oneformer_run(1, 2);
  j["text_encoder"]["layers"] = 2;
  train_run(j, root / "first", false, 0, single);
  const auto first = (root / "first" / "model_final.safetensors").string();
  auto start = [&](json k, const fs::path& out) {
    k["weights"] = first;
    auto config = config_of(k);
    auto data = load_train_data(config, "");
    TrainerOptions o;
    o.output_dir = out.string();
    Trainer trainer(config, data.classes, data.datasets, o, single);
    trainer.save_weights((out / "start.safetensors").string());
    return final_weights(out, "start.safetensors");
  };
  auto a = final_weights(root / "first", "model_final.safetensors");
  auto b = start(j, root / "second");
  for (const char* name : {"text_encoder.transformer.resblocks.1.mlp.c_fc.weight",
                           "prompt_ctx.weight", "criterion.logit_scale"})
    EXPECT_TRUE(at::equal(a.at(name), b.at(name))) << name;
  // An encoder of another depth does not fit those tensors: Config errors, not silent drops.
  for (int layers : {1, 3}) {
    j["text_encoder"]["layers"] = layers;
    try {
      start(j, root / ("layers" + std::to_string(layers)));
      ADD_FAILURE() << "no error for " << layers << " layers";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config) << e.what();
      EXPECT_NE(std::string(e.what()).find(layers == 1 ? "0 missing, 12 unexpected"
                                                       : "12 missing (text_encoder.transformer."
                                                         "resblocks.2."),
                std::string::npos)
          << e.what();
    }
  }
}

// solver.amp (SOLVER.AMP.ENABLED) is a documented boolean; it only acts on CUDA.
TEST(TrainConfig, AmpIsABooleanSolverField) {
  auto j = tiny_run(4, 2);
  EXPECT_FALSE(config_of(j).solver.amp);
  j["solver"]["amp"] = true;
  EXPECT_TRUE(config_of(j).solver.amp);
  j["solver"]["amp"] = "yes";
  ErrorKind kind{};
  auto msg = error_of(j, &kind);
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_NE(msg.find("solver.amp"), std::string::npos) << msg;
}

}  // namespace
}  // namespace segx::train
