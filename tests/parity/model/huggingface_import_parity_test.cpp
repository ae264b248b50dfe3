// Hugging Face checkpoints imported by segx against the official fixtures they were made from.
// scripts/gen_huggingface_fixtures.py wrote tests/parity/model/data/huggingface/NAME/ (config.json,
// model.safetensors, for OneFormer preprocessor_config.json) from tests/parity/model/data/NAME/ by
// transcribing transformers' conversion scripts, independently of segx's import table. The import
// must give back the official weights.safetensors bit for bit and the fixture's model.json in every
// field transformers' files express, and the model built from it the official intermediates.
//   m2f_swin_w7         Mask2FormerForUniversalSegmentation, Swin
//   oneformer_swin      OneFormerForUniversalSegmentation, Swin (with preprocessor_config.json)
//   oneformer_convnext  OneFormerForUniversalSegmentation, ConvNeXt (likewise)
//   maskformer_r50_fpn  MaskFormerForInstanceSegmentation, ResNet-50
#include <cstring>

#include "parity/model/model_parity.hpp"
#include "segx/model/import/huggingface.hpp"

namespace segx::model::parity {
namespace {

std::filesystem::path hf_dir(const std::string& sub) {
  return repo_fixture_dir("huggingface") / sub;
}

bool has_preprocessor(const std::string& sub) {
  return std::filesystem::exists(hf_dir(sub) / "preprocessor_config.json");
}

ImportedModel import(const std::string& sub, ImportReport& report) {
  return import_huggingface(hf_dir(sub).string(), report);
}

bool same_bytes(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  auto x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

void expect_official_tensors(const std::string& sub) {
  ImportReport report;
  const auto imported = import(sub, report);
  const auto official = io::load_tensors((repo_fixture_dir(sub) / "weights.safetensors").string());
  std::vector<std::string> extra, missing, differ;
  for (const auto& [name, t] : imported.tensors)
    if (!official.count(name)) extra.push_back(name);
  for (const auto& [name, t] : official) {
    auto it = imported.tensors.find(name);
    if (it == imported.tensors.end())
      missing.push_back(name);
    else if (!same_bytes(it->second, t))
      differ.push_back(name);
  }
  EXPECT_TRUE(extra.empty()) << sub << ": " << extra.size() << " not official, first "
                             << extra.front();
  EXPECT_TRUE(missing.empty()) << sub << ": " << missing.size() << " official ones missing, first "
                               << missing.front();
  EXPECT_TRUE(differ.empty()) << sub << ": " << differ.size() << " differ, first "
                              << differ.front();
  EXPECT_EQ(imported.tensors.size(), official.size()) << sub;
  // every key of the fixture's config.json is one the import knows
  for (const auto& line : report.not_used)
    EXPECT_EQ(line.find("not a key of transformers'"), std::string::npos) << sub << ": " << line;
}

// The fixture's model.json with what transformers' files cannot say taken from the import (and
// checked there to be segx's defaults): the test thresholds, detections per image and
// sem_seg_postprocess_before_inference (post-processing arguments in transformers), class_names
// (model.json has none; the import's come from id2label, checked below) and, without
// preprocessor_config.json, thing_classes. With it, test.min_size/max_size are config.yaml's
// INPUT.MIN_SIZE_TEST/MAX_SIZE_TEST (the image processor's size), which model.json leaves 0.
ModelConfig expected_config(const std::string& sub, const ModelConfig& imported) {
  auto want = load_model_config((repo_fixture_dir(sub) / "model.json").string());
  const InferenceConfig defaults;
  EXPECT_EQ(imported.test.object_mask_threshold, defaults.object_mask_threshold);
  EXPECT_EQ(imported.test.overlap_threshold, defaults.overlap_threshold);
  EXPECT_EQ(imported.test.topk_per_image, defaults.topk_per_image);
  EXPECT_EQ(imported.test.sem_seg_postprocess_before_inference,
            defaults.sem_seg_postprocess_before_inference);
  want.test.object_mask_threshold = imported.test.object_mask_threshold;
  want.test.overlap_threshold = imported.test.overlap_threshold;
  want.test.topk_per_image = imported.test.topk_per_image;
  want.test.sem_seg_postprocess_before_inference =
      imported.test.sem_seg_postprocess_before_inference;
  EXPECT_TRUE(want.class_names.empty());
  want.class_names = imported.class_names;
  if (has_preprocessor(sub)) {
    const auto yaml = test::read_file(repo_fixture_dir(sub) / "config.yaml");
    auto value = [&](const std::string& key) {
      const auto at = yaml.find("  " + key + ": ");
      EXPECT_NE(at, std::string::npos) << key;
      return std::stoi(yaml.substr(at + key.size() + 4));
    };
    want.test.min_size = value("MIN_SIZE_TEST");
    want.test.max_size = value("MAX_SIZE_TEST");
  } else {
    EXPECT_TRUE(imported.thing_classes.empty());
    want.thing_classes = imported.thing_classes;
  }
  return want;
}

void expect_model_json(const std::string& sub) {
  ImportReport report;
  const auto imported = import(sub, report);
  const auto want = expected_config(sub, imported.config);
  EXPECT_EQ(nlohmann::json::parse(model_config_to_json(imported.config)),
            nlohmann::json::parse(model_config_to_json(want)))
      << sub;
  ASSERT_EQ(imported.config.class_names.size(), static_cast<std::size_t>(want.num_classes));
  for (int i = 0; i < want.num_classes; ++i)
    EXPECT_EQ(imported.config.class_names[i], "class_" + std::to_string(i));
}

// The imported model, with what transformers' files cannot say set as the parity fixture ran it.
FixtureModel imported_model(const std::string& sub) {
  ImportReport report;
  auto imported = import(sub, report);
  const auto official = load_model_config((repo_fixture_dir(sub) / "model.json").string());
  imported.config.test = official.test;
  imported.config.thing_classes = official.thing_classes;
  return {imported.config, imported.tensors};
}

TEST(HuggingFaceImportParity, Mask2FormerSwinOfficialTensors) {
  expect_official_tensors("m2f_swin_w7");
}

TEST(HuggingFaceImportParity, Mask2FormerSwinModelJson) {
  expect_model_json("m2f_swin_w7");
}

TEST(HuggingFaceImportParity, Mask2FormerSwinEveryIntermediate) {
  const auto model = imported_model("m2f_swin_w7");
  check_model("m2f_swin_w7", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, Mask2FormerSwinEndToEnd) {
  const auto model = imported_model("m2f_swin_w7");
  check_end_to_end("m2f_swin_w7", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, OneFormerSwinOfficialTensors) {
  expect_official_tensors("oneformer_swin");
}

TEST(HuggingFaceImportParity, OneFormerSwinModelJsonWithThingClasses) {
  expect_model_json("oneformer_swin");
}

TEST(HuggingFaceImportParity, OneFormerSwinEveryIntermediate) {
  const auto model = imported_model("oneformer_swin");
  check_model("oneformer_swin", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, OneFormerSwinEndToEnd) {
  const auto model = imported_model("oneformer_swin");
  check_end_to_end("oneformer_swin", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, OneFormerConvNeXtOfficialTensors) {
  expect_official_tensors("oneformer_convnext");
}

TEST(HuggingFaceImportParity, OneFormerConvNeXtModelJsonWithThingClasses) {
  expect_model_json("oneformer_convnext");
}

TEST(HuggingFaceImportParity, OneFormerConvNeXtEveryIntermediate) {
  const auto model = imported_model("oneformer_convnext");
  check_model("oneformer_convnext", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, OneFormerConvNeXtEndToEnd) {
  const auto model = imported_model("oneformer_convnext");
  check_end_to_end("oneformer_convnext", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, MaskFormerResNet50OfficialTensors) {
  expect_official_tensors("maskformer_r50_fpn");
}

TEST(HuggingFaceImportParity, MaskFormerResNet50ModelJson) {
  expect_model_json("maskformer_r50_fpn");
}

TEST(HuggingFaceImportParity, MaskFormerResNet50EveryIntermediate) {
  const auto model = imported_model("maskformer_r50_fpn");
  check_model("maskformer_r50_fpn", at::kCPU, &model);
}

TEST(HuggingFaceImportParity, MaskFormerResNet50EndToEnd) {
  const auto model = imported_model("maskformer_r50_fpn");
  check_end_to_end("maskformer_r50_fpn", at::kCPU, &model);
}

}  // namespace
}  // namespace segx::model::parity
