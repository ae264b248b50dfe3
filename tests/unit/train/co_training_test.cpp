// DaTaSeg co-training: datasets of every annotation kind mapped onto a vocabulary's classes, the
// targets each kind yields, task and category errors, and the label-space restriction of a step.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <numeric>

#include "segx/core/error.hpp"
#include "segx/dataset/derive.hpp"
#include "segx/dataset/synth.hpp"
#include "segx/train/co_training.hpp"
#include "segx/train/data_loader.hpp"
#include "segx/train/trainer.hpp"
#include "segx/train/trainer_hooks.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/sources.hpp"
#include "support/fixtures.hpp"
#include "support/train_configs.hpp"

namespace segx::train {
namespace {
namespace fs = std::filesystem;
using dataset::DerivedKind;
using nlohmann::json;

// A panoptic synth set and its boxes-, instance- and semantic-only versions.
const fs::path& data_dir() {
  static fs::path dir = [] {
    auto d = test::temp_dir("co_training") / "synth";
    dataset::SynthOptions o;
    o.images = 4;
    o.width = 80;
    o.height = 64;
    o.seed = 5;
    dataset::generate_synth(o, d.string());
    // What `segx convert derive` writes, named after the kind.
    for (auto kind : {DerivedKind::Boxes, DerivedKind::Instances, DerivedKind::Semantic}) {
      dataset::DeriveOptions derive;
      derive.kind = kind;
      derive.name = dataset::to_string(kind);
      if (kind == DerivedKind::Semantic) derive.out_dir = (d / "semantic").string();
      dataset::derive_manifest((d / "manifest.jsonl").string(),
                               (d / (derive.name + ".jsonl")).string(), derive);
    }
    return d;
  }();
  return dir;
}

std::string path_of(const char* file) {
  return (data_dir() / file).string();
}

// `segx vocab build` over the given manifests, written where load_train_data reads it.
std::string write_vocabulary(const std::vector<std::string>& manifests) {
  std::vector<vocab::CategoryList> lists;
  std::vector<std::string> sources;
  for (const auto& m : manifests) {
    auto loaded = vocab::load_categories(m);
    lists.push_back(std::move(loaded.list));
    sources.push_back(std::move(loaded.source));
  }
  auto v = vocab::build_vocabulary(lists, sources, {});
  auto path = test::temp_dir("co_training_vocab") / "vocab.json";
  std::ofstream(path) << vocab::stable_json(vocab::to_json(v));
  return path.string();
}

json run_config(const std::vector<std::pair<std::string, std::string>>& datasets) {
  json j = {{"model", test::tiny_model()},
            {"solver",
             {{"base_lr", 1e-2},
              {"max_iter", 1},
              {"ims_per_batch", 2},
              {"weight_decay", 0.0},
              {"checkpoint_period", 1000}}},
            {"input", {{"crop_size", 48}, {"min_scale", 0.8}, {"max_scale", 1.2}}},
            {"loss", {{"num_points", 64}}},
            {"seed", 2}};
  for (const auto& [name, path] : datasets)
    j["datasets"].push_back({{"name", name}, {"path", path}});
  return j;
}

TrainConfig config_of(const json& j) {
  return parse_train_config(j.dump(), "t.json", ".");
}

TEST(CoTraining, CategoriesMapByNameOntoTheVocabularyAndSpacesFollowThem) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl"), path_of("boxes.jsonl")});
  auto data = load_train_data(config_of(run_config({{"synth", path_of("manifest.jsonl")},
                                                    {"boxes", path_of("boxes.jsonl")}})),
                              vocab);
  ASSERT_EQ(data.datasets.size(), 2u);
  const auto& classes = data.classes;
  const auto& synth = data.datasets[0];
  const auto& boxes = data.datasets[1];
  EXPECT_EQ(classes.vocabulary, vocab);
  EXPECT_EQ(boxes.records.front().kind, AnnotationKind::Boxes);
  EXPECT_EQ(boxes.spec.tasks, std::vector<Task>{Task::Instance});  // what boxes can train
  // Every box's class is the vocabulary class of its category's name.
  for (std::size_t r = 0; r < boxes.records.size(); ++r)
    for (std::size_t k = 0; k < boxes.records[r].instances.size(); ++k) {
      const auto id = boxes.records[r].category_ids[k];
      const auto name = boxes.categories.find(id)->name;
      EXPECT_EQ(classes.names[static_cast<std::size_t>(boxes.records[r].instances[k].class_index)],
                name);
    }
  // The panoptic set annotates every class, the boxes set its things only.
  for (int k = 0; k < classes.size(); ++k) {
    EXPECT_TRUE(synth.label_space[static_cast<std::size_t>(k)]) << k;
    EXPECT_EQ(boxes.label_space[static_cast<std::size_t>(k)],
              static_cast<bool>(classes.isthing[static_cast<std::size_t>(k)]))
        << classes.names[static_cast<std::size_t>(k)];
  }
  EXPECT_TRUE(label_space_transform(data.datasets));
  EXPECT_FALSE(label_space_transform({synth}));  // nothing to restrict
}

TEST(CoTraining, EachAnnotationKindYieldsTheTargetsOfItsTask) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl"), path_of("boxes.jsonl"),
                                 path_of("instances.jsonl"), path_of("semantic.jsonl")});
  auto config = config_of(run_config({{"boxes", path_of("boxes.jsonl")},
                                      {"instances", path_of("instances.jsonl")},
                                      {"semantic", path_of("semantic.jsonl")}}));
  auto data = load_train_data(config, vocab);
  LoaderOptions o;
  o.batch_size = 2;
  o.jitter = config.jitter;
  for (std::size_t d = 0; d < data.datasets.size(); ++d) {
    const std::vector<TrainDataset> one{data.datasets[d]};
    auto batch = load_batch(one, o, data.classes.names, 0);
    ASSERT_EQ(batch.targets.size(), 2u);
    for (const auto& t : batch.targets) {
      const auto n = t.labels.size(0);
      for (std::int64_t i = 0; i < n; ++i)
        EXPECT_TRUE(data.datasets[d]
                        .label_space[static_cast<std::size_t>(t.labels[i].item<std::int64_t>())]);
      switch (data.datasets[d].records.front().kind) {
        case AnnotationKind::Boxes:
          ASSERT_TRUE(t.box_only());
          ASSERT_EQ(t.boxes.size(0), n);
          EXPECT_GE(t.boxes.min().item<float>(), 0.0f);
          EXPECT_LE(t.boxes.max().item<float>(), 1.0f);
          break;
        case AnnotationKind::Instances:
          ASSERT_TRUE(t.masks.defined());
          EXPECT_EQ(t.masks.size(0), n);
          break;
        case AnnotationKind::Semantic: {
          ASSERT_TRUE(t.masks.defined());
          // One mask per class: labels are distinct, masks disjoint.
          EXPECT_EQ(std::get<0>(at::_unique(t.labels)).size(0), n);
          if (n > 0) {
            EXPECT_LE(t.masks.sum(0).max().item<float>(), 1.0f);
          }
          break;
        }
        default:
          ADD_FAILURE();
      }
    }
    EXPECT_GT(std::accumulate(
                  batch.targets.begin(), batch.targets.end(), std::int64_t{0},
                  [](std::int64_t s, const InstanceTargets& t) { return s + t.labels.size(0); }),
              0)
        << data.datasets[d].spec.name;
  }
}

TEST(CoTraining, TasksTheAnnotationsCannotSupplyAndMissingCategoriesAreConfigErrors) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl"), path_of("boxes.jsonl")});
  auto j = run_config({{"boxes", path_of("boxes.jsonl")}});
  j["datasets"][0]["tasks"] = {"instance", "semantic"};
  try {
    load_train_data(config_of(j), vocab);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dataset 'boxes'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("task 'semantic'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("boxes-only"), std::string::npos) << msg;
  }
  // A category the vocabulary lacks: the boxes header gains one after the vocabulary was built.
  const auto extra = data_dir() / "boxes_extra.jsonl";
  {
    std::ifstream in(path_of("boxes.jsonl"));
    std::string line;
    std::getline(in, line);
    auto header = json::parse(line);
    header["categories"].push_back({{"id", 999}, {"name", "unicorn"}, {"isthing", 1}});
    std::ofstream out(extra);
    out << header.dump() << '\n' << in.rdbuf();
  }
  try {
    load_train_data(config_of(run_config({{"boxes", extra.string()}})), vocab);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dataset 'boxes'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("category 999 'unicorn' is not in the vocabulary"), std::string::npos)
        << msg;
  }
}

// A dataset the vocabulary was not built from maps onto its classes by category name.
TEST(CoTraining, DatasetsTheVocabularyDoesNotListMapByName) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl")});  // lists "synth" only
  auto data =
      load_train_data(config_of(run_config({{"instances", path_of("instances.jsonl")}})), vocab);
  const auto& d = data.datasets.front();
  ASSERT_FALSE(d.records.front().instances.empty());
  for (const auto& r : d.records)
    for (std::size_t k = 0; k < r.instances.size(); ++k)
      EXPECT_EQ(data.classes.names[static_cast<std::size_t>(r.instances[k].class_index)],
                d.categories.find(r.category_ids[k])->name);
  // ... and one of its categories the vocabulary lacks is an error naming both.
  auto j = run_config({{"instances", path_of("instances.jsonl")}});
  const auto extra = data_dir() / "instances_extra.jsonl";
  {
    std::ifstream in(path_of("instances.jsonl"));
    std::string line;
    std::getline(in, line);
    auto header = json::parse(line);
    header["categories"].push_back({{"id", 998}, {"name", "griffin"}, {"isthing", 1}});
    std::ofstream out(extra);
    out << header.dump() << '\n' << in.rdbuf();
  }
  j["datasets"][0]["path"] = extra.string();
  try {
    load_train_data(config_of(j), vocab);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dataset 'instances'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("category 998 'griffin' is not in the vocabulary"), std::string::npos)
        << msg;
  }
}

TEST(CoTraining, ValidationNeedsPanopticAnnotations) {
  auto j = run_config({{"synth", path_of("manifest.jsonl")}});
  j["validation"] = {{"name", "sem"}, {"path", path_of("semantic.jsonl")}};
  try {
    load_train_data(config_of(j), "");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("validation needs panoptic annotations"),
              std::string::npos)
        << e.what();
  }
}

// One step on the boxes-only set: logits of classes outside its space are -inf in matching and
// CE, so with no weight decay the linear classifier's rows of those classes do not move.
TEST(CoTraining, RestrictedLogitsLeaveClassesOutsideTheSpaceUntouched) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl"), path_of("boxes.jsonl")});
  auto config = config_of(run_config({{"boxes", path_of("boxes.jsonl")}}));
  auto data = load_train_data(config, vocab);
  DistributedContext single;
  TrainerOptions o;
  o.output_dir = (test::temp_dir("co_training_step") / "run").string();
  o.chunks = 1;
  Trainer trainer(config, data.classes, data.datasets, o, single);
  auto transform = label_space_transform(trainer.datasets());
  ASSERT_TRUE(transform);
  int excluded_checked = 0;
  trainer.set_logits_transform([&](const TrainBatch& b, const torch::Tensor& logits) {
    auto out = transform(b, logits);
    for (int k = 0; k < data.classes.size(); ++k)
      if (!data.datasets[0].label_space[static_cast<std::size_t>(k)]) {
        EXPECT_TRUE(torch::isinf(out.select(-1, k)).all().item<bool>()) << k;
        ++excluded_checked;
      }
    EXPECT_TRUE(torch::isfinite(out.select(-1, data.classes.size())).all().item<bool>());
    return out;
  });
  const std::string name = "sem_seg_head.predictor.class_embed.weight";
  at::Tensor before;
  for (const auto& t : trainer.weights().named_tensors())
    if (t.name == name) before = t.tensor.detach().clone();
  ASSERT_TRUE(before.defined());
  trainer.train();
  EXPECT_GT(excluded_checked, 0);
  at::Tensor after;
  for (const auto& t : trainer.weights().named_tensors())
    if (t.name == name) after = t.tensor.detach();
  int moved_inside = 0;
  for (int k = 0; k < data.classes.size(); ++k) {
    const bool same = at::equal(before[k], after[k]);
    if (!data.datasets[0].label_space[static_cast<std::size_t>(k)])
      EXPECT_TRUE(same) << data.classes.names[static_cast<std::size_t>(k)];
    else
      moved_inside += !same;
  }
  EXPECT_GT(moved_inside, 0);
  EXPECT_FALSE(at::equal(before[data.classes.size()], after[data.classes.size()]));  // background
}

// loss.semantic_merge: batches of the semantic-only set train the merged per-class masks
// (loss_merge_ce, loss_merge_dice) with no classification term, the panoptic set's batches keep
// Hungarian matching; metrics.jsonl says which terms each dataset's iterations carried.
TEST(CoTraining, SemanticOnlySetTrainsMergedMasksWhenAsked) {
  auto vocab = write_vocabulary({path_of("manifest.jsonl"), path_of("semantic.jsonl")});
  auto j = run_config({{"synth", path_of("manifest.jsonl")}, {"semantic", path_of("semantic.jsonl")}});
  j["solver"]["max_iter"] = 6;
  j["solver"]["log_period"] = 1;
  j["loss"]["semantic_merge"] = true;
  auto config = config_of(j);
  auto data = load_train_data(config, vocab);
  DistributedContext single;
  TrainerOptions o;
  auto out = test::temp_dir("co_training_merge") / "run";
  o.output_dir = out.string();
  o.chunks = 1;
  Trainer trainer(config, data.classes, data.datasets, o, single);
  trainer.add_hook(std::make_unique<MetricsWriter>());
  std::map<std::string, int> merged_steps, matched_steps;
  trainer.add_loss([&](const StepContext& ctx) {
    const auto& name = data.datasets[static_cast<std::size_t>(ctx.batch->dataset)].spec.name;
    const bool merged = ctx.losses->terms.count("loss_merge_ce") > 0;
    (merged ? merged_steps : matched_steps)[name]++;
    if (merged) {
      EXPECT_EQ(ctx.losses->terms.at("loss_ce").item<double>(), 0.0) << name;
      EXPECT_GT(ctx.losses->terms.at("loss_merge_dice").item<double>(), 0.0) << name;
    }
    return std::map<std::string, torch::Tensor>{};
  });
  trainer.train();
  EXPECT_EQ(merged_steps.count("synth"), 0u);
  EXPECT_EQ(matched_steps.count("semantic"), 0u);
  ASSERT_GT(merged_steps["semantic"], 0);
  ASSERT_GT(matched_steps["synth"], 0);
  std::ifstream in(out / "metrics.jsonl");
  std::string line;
  int lines_with_semantic = 0;
  std::map<std::string, int> task_images;
  while (std::getline(in, line)) {
    auto m = json::parse(line);
    // Two tasks between the datasets: each image's loss under the task it drew.
    if (m.contains("tasks"))
      for (const auto& [task, stats] : m["tasks"].items()) {
        task_images[task] += stats["images"].get<int>();
        EXPECT_GT(stats["loss"].get<double>(), 0.0) << line;
      }
    if (!m.contains("datasets")) continue;
    if (m["datasets"].contains("semantic")) {
      ++lines_with_semantic;
      EXPECT_TRUE(m["datasets"]["semantic"].contains("loss_merge_ce")) << line;
    }
    if (m["datasets"].contains("synth")) {
      EXPECT_FALSE(m["datasets"]["synth"].contains("loss_merge_ce")) << line;
    }
  }
  EXPECT_EQ(lines_with_semantic, merged_steps["semantic"]);
  EXPECT_EQ(task_images["semantic"], 2 * merged_steps["semantic"]);  // ims_per_batch 2
  EXPECT_EQ(task_images["panoptic"], 2 * matched_steps["synth"]);
}

}  // namespace
}  // namespace segx::train
