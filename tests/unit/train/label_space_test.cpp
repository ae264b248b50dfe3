// Dataset label spaces from a built vocabulary, and the restricted softmax.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "segx/core/error.hpp"
#include "segx/train/label_space.hpp"
#include "segx/vocab/build.hpp"

namespace segx::train {
namespace {

vocab::CategoryList list(const std::string& dataset,
                         const std::vector<std::pair<std::int64_t, std::string>>& cats) {
  vocab::CategoryList l;
  l.dataset = dataset;
  l.origin = dataset + ".json";
  for (const auto& [id, name] : cats) {
    vocab::Category c;
    c.id = id;
    c.name = name;
    c.isthing = true;
    l.categories.push_back(c);
  }
  return l;
}

// What `segx vocab build` writes, read back as the trainer will read it.
vocab::Vocabulary built() {
  auto v = vocab::build_vocabulary({list("coco", {{1, "person"}, {3, "car"}}), list("ade", {{5, "persons"}, {9, "tree"}})},
                                   {"", ""}, vocab::BuildOptions{});
  return vocab::vocabulary_from_json(vocab::to_json(v), "vocab.json");
}

TEST(LabelSpace, MapsCategoriesToVocabularyPositions) {
  auto v = built();
  ASSERT_EQ(v.classes.size(), 3u);  // person (merged), car, tree
  auto coco = dataset_classes(v, "coco");
  auto ade = dataset_classes(v, "ade");
  EXPECT_EQ(coco.num_classes, 3);
  for (std::size_t k = 0; k < v.classes.size(); ++k) {
    const auto& c = v.classes[k];
    for (const auto& s : c.sources) {
      const auto& d = s.dataset == "coco" ? coco : ade;
      EXPECT_EQ(d.class_index(s.id, "m.jsonl"), static_cast<std::int64_t>(k)) << s.dataset << " " << s.id;
      EXPECT_EQ(d.class_index_of_unified(c.id, "m.jsonl"), static_cast<std::int64_t>(k));
    }
  }
  EXPECT_EQ(coco.class_index(1, "m"), ade.class_index(5, "m"));  // merged "person"
  auto space = coco.label_space();
  ASSERT_EQ(space.size(0), 3);
  EXPECT_EQ(space.sum().item<int64_t>(), 2);
  EXPECT_FALSE(space[ade.class_index(9, "m")].item<bool>());
}

TEST(LabelSpace, MissingCategoriesAndDatasetsAreConfigErrors) {
  auto v = built();
  auto coco = dataset_classes(v, "coco");
  try {
    check_categories(coco, {1, 3, 4, 8}, "train.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    std::string m = e.what();
    EXPECT_NE(m.find("train.jsonl"), std::string::npos) << m;
    EXPECT_NE(m.find("4, 8"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(check_categories(coco, {1, 3}, "train.jsonl"));
  EXPECT_THROW(coco.class_index(4, "x"), Error);
  const auto tree = v.classes[static_cast<std::size_t>(dataset_classes(v, "ade").class_index(9, "x"))].id;
  EXPECT_THROW(coco.class_index_of_unified(tree, "x"), Error);
  EXPECT_THROW(dataset_classes(v, "cityscapes"), Error);
}

TEST(LabelSpace, RestrictedSoftmaxEqualsSoftmaxOverTheSubsetAndBackground) {
  torch::manual_seed(2);
  auto logits = torch::randn({2, 3, 5}, torch::kDouble);  // K = 4
  auto space = torch::tensor({true, false, true, false});
  auto probs = restrict_to_label_space(logits, space).softmax(-1);
  for (int b = 0; b < 2; ++b)
    for (int q = 0; q < 3; ++q) {
      double z = 0;
      for (int k : {0, 2, 4}) z += std::exp(logits[b][q][k].item<double>());
      for (int k = 0; k < 5; ++k) {
        double expected = (k == 1 || k == 3) ? 0.0 : std::exp(logits[b][q][k].item<double>()) / z;
        EXPECT_NEAR(probs[b][q][k].item<double>(), expected, 1e-12);
      }
    }
  // Per-image spaces [B, K].
  auto per_image = torch::tensor({true, true, true, true, false, false, false, true}).view({2, 4});
  auto r = restrict_to_label_space(logits, per_image);
  EXPECT_TRUE(torch::equal(r[0], logits[0]));
  EXPECT_TRUE(std::isinf(r[1][0][0].item<double>()));
  EXPECT_EQ(r[1][0][4].item<double>(), logits[1][0][4].item<double>());
}

}  // namespace
}  // namespace segx::train
