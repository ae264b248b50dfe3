// Hugging Face import errors and report: a copy of the Mask2Former fixture folder
// (tests/parity/model/data/huggingface/m2f_swin_w7) changed one thing at a time must fail with one
// line naming the tensor or key (Error(Config), exit 78), and the report must say what each key of
// config.json did.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "segx/core/error.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/import/huggingface.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

using json = nlohmann::json;

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(SEGX_SOURCE_DIR) / "tests/parity/model/data/huggingface" / name;
}

// A copy of a fixture folder, config.json and tensors changed by the callbacks.
std::filesystem::path changed_copy(const std::string& name,
                                   const std::function<void(json&)>& config,
                                   const std::function<void(io::TensorMap&)>& tensors = {}) {
  auto dir = test::temp_dir("hf_" + name);
  for (const auto& entry : std::filesystem::directory_iterator(fixture(name)))
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  if (config) {
    auto j = json::parse(test::read_file(dir / "config.json"));
    config(j);
    std::ofstream(dir / "config.json") << j.dump(1);
  }
  if (tensors) {
    auto map = io::load_tensors((dir / "model.safetensors").string());
    tensors(map);
    io::save_tensors((dir / "model.safetensors").string(), map);
  }
  return dir;
}

struct Failure {
  ErrorKind kind{};
  std::string message;
};

Failure import_error(const std::filesystem::path& dir) {
  try {
    ImportReport report;
    import_huggingface(dir.string(), report);
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {ErrorKind::Internal, "(no error)"};
}

void expect_config_error(const Failure& f, const std::vector<std::string>& words) {
  EXPECT_EQ(f.kind, ErrorKind::Config) << f.message;
  EXPECT_EQ(f.message.find('\n'), std::string::npos) << "one line: " << f.message;
  for (const auto& w : words) EXPECT_NE(f.message.find(w), std::string::npos) << f.message;
}

const std::string kQuery =
    "model.pixel_level_module.encoder.encoder.layers.1.blocks.0.attention.self.query.weight";

TEST(HuggingFaceImport, MissingTensorIsNamed) {
  auto dir = changed_copy("m2f_swin_w7", {}, [](io::TensorMap& t) {
    t.erase("model.transformer_module.queries_features.weight");
  });
  expect_config_error(import_error(dir),
                      {"1 missing", "model.transformer_module.queries_features.weight"});
}

TEST(HuggingFaceImport, ExtraTensorIsNamedAsUnmapped) {
  auto dir = changed_copy("m2f_swin_w7", {}, [](io::TensorMap& t) {
    t["model.transformer_module.extra_head.weight"] = at::zeros({4});
  });
  expect_config_error(import_error(dir), {"1 unexpected", "no detectron2 name",
                                          "model.transformer_module.extra_head.weight"});
}

TEST(HuggingFaceImport, WrongShapeIsNamedByTheCheckpointsName) {
  auto dir = changed_copy("m2f_swin_w7", {}, [](io::TensorMap& t) {
    t["class_predictor.weight"] = at::zeros({10, 32});
  });
  // found by building the model, reported under the checkpoint's name, not detectron2's
  const auto f = import_error(dir);
  expect_config_error(f, {"tensors do not match config.json's mask2former model", "mis-shaped",
                          "class_predictor.weight [10, 32]", "expected [134, 32]"});
  EXPECT_EQ(f.message.find("sem_seg_head.predictor.class_embed"), std::string::npos) << f.message;
}

TEST(HuggingFaceImport, QueryKeyValueThatDisagreeAreNamed) {
  auto dir = changed_copy("m2f_swin_w7", {}, [](io::TensorMap& t) {
    t[kQuery] = at::zeros({4, 16});
  });
  expect_config_error(import_error(dir),
                      {"mis-shaped", kQuery + " [4, 16]", "key.weight [16, 16]"});
}

TEST(HuggingFaceImport, FusedTensorOfTheWrongWidthIsNamedByItsParts) {
  // all three projections of a block narrower than the config says: the concatenation is
  // mis-shaped when built, named by the three checkpoint tensors
  auto dir = changed_copy("m2f_swin_w7", {}, [](io::TensorMap& t) {
    const std::string p = "model.transformer_module.decoder.layers.0.self_attn.";
    for (const char* n : {"q_proj", "k_proj", "v_proj"}) t[p + n + ".weight"] = at::zeros({8, 32});
  });
  expect_config_error(import_error(dir),
                      {"mis-shaped",
                       "model.transformer_module.decoder.layers.0.self_attn.q_proj.weight + "
                       "model.transformer_module.decoder.layers.0.self_attn.k_proj.weight + "
                       "model.transformer_module.decoder.layers.0.self_attn.v_proj.weight [24, 32]",
                       "expected [96, 32]"});
}

TEST(HuggingFaceImport, WrongSwinIndexIsNamed) {
  const std::string index =
      "model.pixel_level_module.encoder.encoder.layers.0.blocks.1."
      "attention.self.relative_position_index";
  auto dir = changed_copy("m2f_swin_w7", {}, [&](io::TensorMap& t) {
    t[index] = at::zeros({49, 49}, at::kLong);
  });
  expect_config_error(import_error(dir), {index, "relative position index"});
}

TEST(HuggingFaceImport, UnknownModelTypeIsRefusedByName) {
  auto dir = changed_copy("m2f_swin_w7", [](json& j) { j["model_type"] = "detr"; });
  expect_config_error(import_error(dir),
                      {"model_type = \"detr\"", "mask2former, oneformer, maskformer"});
}

TEST(HuggingFaceImport, ModelWithoutHeadsIsRefusedByName) {
  auto dir = changed_copy("m2f_swin_w7",
                          [](json& j) { j["architectures"] = json::array({"Mask2FormerModel"}); });
  expect_config_error(import_error(dir), {"architectures", "Mask2FormerModel", "class predictor"});
}

TEST(HuggingFaceImport, ArchitectureOfAnotherModelTypeIsRefused) {
  auto dir = changed_copy("m2f_swin_w7", [](json& j) {
    j["architectures"] = json::array({"OneFormerForUniversalSegmentation"});
  });
  expect_config_error(import_error(dir), {"architectures", "model_type 'mask2former'"});
}

TEST(HuggingFaceImport, DiNATBackboneIsRefusedByName) {
  auto dir = changed_copy("oneformer_swin", [](json& j) {
    j["backbone_config"]["model_type"] = "dinat";
    j["backbone_config"]["kernel_size"] = 11;
  });
  expect_config_error(import_error(dir), {"backbone_config.model_type = \"dinat\"", "DiNAT"});
}

TEST(HuggingFaceImport, OtherBackbonesAreRefusedByName) {
  auto dir =
      changed_copy("m2f_swin_w7", [](json& j) { j["backbone_config"]["model_type"] = "swinv2"; });
  expect_config_error(import_error(dir), {"backbone_config.model_type = \"swinv2\""});
}

TEST(HuggingFaceImport, KeysThatChangeTheNetworkAreRefusedByName) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["backbone_config"]["use_absolute_embeddings"] = true; },
       "backbone_config.use_absolute_embeddings = true"},
      {[](json& j) { j["backbone_config"]["hidden_act"] = "relu"; },
       "backbone_config.hidden_act = \"relu\""},
      {[](json& j) { j["backbone_config"]["out_features"] = json::array({"stage4"}); },
       "backbone_config.out_features"},
      {[](json& j) { j["enforce_input_projection"] = true; }, "enforce_input_projection = true"},
      {[](json& j) { j["activation_function"] = "gelu"; }, "activation_function = \"gelu\""},
      {[](json& j) {
         j["feature_strides"] = json::array({8, 16, 32, 64});
       },
       "feature_strides"},
      {[](json& j) { j["feature_size"] = 64; }, "feature_size = 64"},
      {[](json& j) { j["backbone_config"] = nullptr; }, "backbone_config"},
      {[](json& j) { j["use_timm_backbone"] = true; }, "use_timm_backbone = true"},
      {[](json& j) {
         j["id2label"] = json{{"0", "a"}, {"2", "b"}};
       },
       "id2label"},
  };
  for (const auto& [change, words] : cases) {
    SCOPED_TRACE(words);
    expect_config_error(import_error(changed_copy("m2f_swin_w7", change)), {words});
  }
}

TEST(HuggingFaceImport, MaskFormerKeysThatChangeTheNetworkAreRefusedByName) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["backbone_config"]["layer_type"] = "basic"; },
       "backbone_config.layer_type = \"basic\""},
      {[](json& j) {
         j["backbone_config"]["depths"] = json::array({2, 2, 2, 2});
       },
       "backbone_config.depths"},
      {[](json& j) { j["backbone_config"]["downsample_in_first_stage"] = true; },
       "backbone_config.downsample_in_first_stage = true"},
      {[](json& j) { j["decoder_config"]["activation_function"] = "gelu"; },
       "decoder_config.activation_function = \"gelu\""},
      {[](json& j) { j["decoder_config"]["model_type"] = "conditional_detr"; },
       "decoder_config.model_type"},
  };
  for (const auto& [change, words] : cases) {
    SCOPED_TRACE(words);
    expect_config_error(import_error(changed_copy("maskformer_r50_fpn", change)), {words});
  }
}

TEST(HuggingFaceImport, MissingFilesAreNoInput) {
  auto dir = test::temp_dir("hf_empty");
  EXPECT_EQ(import_error(dir).kind, ErrorKind::NoInput);
  std::filesystem::copy_file(fixture("m2f_swin_w7") / "config.json", dir / "config.json");
  const auto f = import_error(dir);
  EXPECT_EQ(f.kind, ErrorKind::NoInput) << f.message;
  EXPECT_NE(f.message.find("model.safetensors"), std::string::npos) << f.message;
}

TEST(HuggingFaceImport, AMalformedPytorchModelBinIsBadDataNamingIt) {
  auto dir = test::temp_dir("hf_bin");
  std::filesystem::copy_file(fixture("m2f_swin_w7") / "config.json", dir / "config.json");
  std::ofstream(dir / "pytorch_model.bin") << "PK";
  const auto f = import_error(dir);
  EXPECT_EQ(f.kind, ErrorKind::DataError) << f.message;
  EXPECT_NE(f.message.find("pytorch_model.bin"), std::string::npos) << f.message;
}

// pytorch_model.bin as torch.save writes it (made by Python at test time) imports the same
// tensors as model.safetensors.
TEST(HuggingFaceImport, PytorchModelBinImportsAsModelSafetensors) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const auto scratch = test::temp_dir("hf_bin_python");
  const auto script =
      std::filesystem::path(SEGX_SOURCE_DIR) / "tests/unit/io/safetensors_to_checkpoints.py";
  const auto log = scratch / "python.log";
  const std::string command = "/usr/bin/python3 '" + script.string() + "' '" +
                              (fixture("m2f_swin_w7") / "model.safetensors").string() + "' '" +
                              scratch.string() + "' > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) GTEST_SKIP() << test::read_file(log);
  ASSERT_EQ(status, 0) << test::read_file(log);
  auto dir = test::temp_dir("hf_bin_folder");
  std::filesystem::copy_file(fixture("m2f_swin_w7") / "config.json", dir / "config.json");
  std::filesystem::copy_file(scratch / "weights.pth", dir / "pytorch_model.bin");
  ImportReport from_bin, from_safetensors;
  const auto a = import_huggingface(dir.string(), from_bin);
  const auto b = import_huggingface(fixture("m2f_swin_w7").string(), from_safetensors);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : b.tensors) {
    ASSERT_TRUE(a.tensors.count(name)) << name;
    EXPECT_TRUE(at::equal(a.tensors.at(name), t)) << name;
  }
}

TEST(HuggingFaceImport, ShardedSafetensorsAreRead) {
  auto dir = test::temp_dir("hf_sharded");
  std::filesystem::copy_file(fixture("m2f_swin_w7") / "config.json", dir / "config.json");
  auto all = io::load_tensors((fixture("m2f_swin_w7") / "model.safetensors").string());
  io::TensorMap a, b;
  json map;
  for (auto& [name, t] : all) {
    const bool first = name.rfind("model.pixel_level_module", 0) == 0;
    (first ? a : b)[name] = t;
    map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  io::save_tensors((dir / "model-00001-of-00002.safetensors").string(), a);
  io::save_tensors((dir / "model-00002-of-00002.safetensors").string(), b);
  std::ofstream(dir / "model.safetensors.index.json") << json{{"weight_map", map}}.dump();
  ImportReport report;
  const auto sharded = import_huggingface(dir.string(), report);
  ImportReport whole_report;
  const auto whole = import_huggingface(fixture("m2f_swin_w7").string(), whole_report);
  ASSERT_EQ(sharded.tensors.size(), whole.tensors.size());
  for (const auto& [name, t] : whole.tensors) EXPECT_TRUE(at::equal(sharded.tensors.at(name), t));
}

bool contains_line(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST(HuggingFaceImport, ReportSaysWhatEachKeyDid) {
  ImportReport report;
  import_huggingface(fixture("m2f_swin_w7").string(), report);
  EXPECT_TRUE(contains_line(report.used, "hidden_dim -> decoder.hidden_dim"));
  EXPECT_TRUE(contains_line(report.used, "backbone_config.window_size -> swin.window_size"));
  EXPECT_TRUE(contains_line(report.used, "id2label -> num_classes, class_names"));
  EXPECT_TRUE(contains_line(report.not_used, "dropout: training only"));
  EXPECT_TRUE(
      contains_line(report.not_used, "enforce_input_proj: set by transformers' conversion"));
  EXPECT_TRUE(contains_line(report.not_used, "num_beams, "));
  EXPECT_TRUE(contains_line(report.not_used, "PretrainedConfig's own keys"));
  EXPECT_TRUE(contains_line(report.not_used, "backbone_config.encoder_stride"));
  EXPECT_TRUE(contains_line(report.not_used, "criterion.empty_weight"));
  EXPECT_TRUE(contains_line(report.notes, "thing_classes"));
  EXPECT_TRUE(contains_line(report.notes, "relative_position_index buffers: checked"));
  // every key of config.json is accounted for, at every level
  const auto config = json::parse(test::read_file(fixture("m2f_swin_w7") / "config.json"));
  // a line "KEY -> ...", "KEY = ...", "KEY: ..." or "KEY, KEY2, ...: ..."
  auto accounted = [&](const std::string& key) {
    for (const auto* lines : {&report.used, &report.not_used})
      for (const auto& l : *lines) {
        if (l.rfind(key + " ", 0) == 0) return true;
        const auto keys = ", " + l.substr(0, l.find(": ")) + ",";
        if (keys.find(", " + key + ",") != std::string::npos) return true;
      }
    return false;
  };
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (it.key() == "backbone_config") continue;
    EXPECT_TRUE(accounted(it.key())) << it.key();
  }
  for (auto it = config["backbone_config"].begin(); it != config["backbone_config"].end(); ++it)
    EXPECT_TRUE(accounted("backbone_config." + it.key())) << it.key();
}

TEST(HuggingFaceImport, UnknownKeysAreReportedAsNotUsed) {
  auto dir = changed_copy("m2f_swin_w7", [](json& j) { j["some_future_key"] = 3; });
  ImportReport report;
  import_huggingface(dir.string(), report);
  EXPECT_TRUE(contains_line(report.not_used,
                            "some_future_key: not a key of transformers' "
                            "Mask2FormerConfig"));
}

// preprocessor_config.json as transformers' processors write it, old and new.
ModelConfig with_preprocessor(const json& pre) {
  auto dir = changed_copy("m2f_swin_w7", {});
  std::ofstream(dir / "preprocessor_config.json") << pre.dump();
  ImportReport report;
  return import_huggingface(dir.string(), report).config;
}

TEST(HuggingFaceImport, PreprocessorSizesAndNormalisation) {
  // Mask2FormerImageProcessor: shortest/longest edge, size_divisor, mean and std on 0..1
  auto c = with_preprocessor({{"size", {{"shortest_edge", 800}, {"longest_edge", 1333}}},
                              {"size_divisor", 64},
                              {"image_mean", {0.5, 0.5, 0.5}},
                              {"image_std", {0.25, 0.25, 0.25}},
                              {"image_processor_type", "Mask2FormerImageProcessor"}});
  EXPECT_EQ(c.test.min_size, 800);
  EXPECT_EQ(c.test.max_size, 1333);
  EXPECT_EQ(c.size_divisibility, 64);
  EXPECT_EQ(c.pixel_mean, (std::vector<double>{127.5, 127.5, 127.5}));
  EXPECT_EQ(c.pixel_std, (std::vector<double>{63.75, 63.75, 63.75}));
  // MaskFormerFeatureExtractor: size and max_size, size_divisibility
  c = with_preprocessor({{"size", 640},
                         {"max_size", 2560},
                         {"size_divisibility", 32},
                         {"feature_extractor_type", "MaskFormerFeatureExtractor"}});
  EXPECT_EQ(c.test.min_size, 640);
  EXPECT_EQ(c.test.max_size, 2560);
  EXPECT_EQ(c.size_divisibility, 32);
  // the fixed 384 x 384 the Mask2Former conversion script sets: not expressible, images as given
  c = with_preprocessor({{"size", {{"height", 384}, {"width", 384}}}});
  EXPECT_EQ(c.test.min_size, 0);
  EXPECT_EQ(c.test.max_size, 0);
  // thing ids outside the labels, and a rescale segx does not do, are refused
  auto dir = changed_copy("m2f_swin_w7", {});
  std::ofstream(dir / "preprocessor_config.json")
      << json{{"metadata", {{"thing_ids", {0, 500}}}}}.dump();
  expect_config_error(import_error(dir), {"preprocessor_config.json", "metadata", "thing id 500"});
  std::ofstream(dir / "preprocessor_config.json") << json{{"do_rescale", false}}.dump();
  expect_config_error(import_error(dir), {"do_rescale = false"});
}

TEST(HuggingFaceImport, Float16CheckpointsKeepTheirDtype) {
  auto dir = changed_copy("maskformer_r50_fpn", {}, [](io::TensorMap& t) {
    for (auto& [name, v] : t)
      if (v.is_floating_point()) v = v.to(at::kHalf);
  });
  ImportReport report;
  const auto imported = import_huggingface(dir.string(), report);
  EXPECT_EQ(imported.tensors.at("sem_seg_head.predictor.class_embed.weight").scalar_type(),
            at::kHalf);
}

// The committed fixtures are what scripts/gen_huggingface_fixtures.py writes (python3 with torch,
// numpy and yaml, as scripts/setup.sh installs them).
TEST(HuggingFaceImport, FixturesRegenerateUnchanged) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy, yaml' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no /usr/bin/python3 with torch, numpy and yaml";
  auto out = test::temp_dir("hf_regenerate");
  const std::string cmd = "/usr/bin/python3 " + std::string(SEGX_SOURCE_DIR) +
                          "/scripts/gen_huggingface_fixtures.py --out " + out.string() +
                          " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  int compared = 0;
  for (const auto& dir : std::filesystem::directory_iterator(fixture(""))) {
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      const auto again = out / dir.path().filename() / f.path().filename();
      ASSERT_TRUE(std::filesystem::exists(again)) << again;
      EXPECT_TRUE(test::read_file(f.path()) == test::read_file(again)) << f.path();
      ++compared;
    }
  }
  EXPECT_GE(compared, 10);
}

// transformers' COCO panoptic checkpoints name detectron2's 133 classes in id2label: the import
// takes the things and dataset ids from datasets/coco_panoptic.json (read here on its own).
TEST(HuggingFaceImport, Id2labelOfAKnownDatasetGivesItsThingClasses) {
  const auto coco = json::parse(
      test::read_file(std::filesystem::path(SEGX_SOURCE_DIR) / "datasets/coco_panoptic.json"));
  json id2label = json::object();
  std::vector<int> things, ids;
  for (const auto& c : coco.at("categories")) {
    const int contiguous = static_cast<int>(ids.size());
    id2label[std::to_string(contiguous)] = c.at("name");
    ids.push_back(c.at("id").get<int>());
    if (c.at("isthing").get<int>()) things.push_back(contiguous);
  }
  ASSERT_EQ(ids.size(), 133u);
  auto named = [&](const json& labels) {
    return changed_copy("m2f_swin_w7", [&](json& j) { j["id2label"] = labels; });
  };
  ImportReport report;
  auto imported = import_huggingface(named(id2label).string(), report);
  EXPECT_EQ(imported.config.thing_classes, things);
  EXPECT_EQ(imported.config.category_ids, ids);
  EXPECT_TRUE(contains_line(report.notes, "datasets/coco_panoptic.json"));
  // One name off: no dataset matches, and the report says that no thing classes are set.
  id2label["0"] = "human";
  ImportReport other;
  imported = import_huggingface(named(id2label).string(), other);
  EXPECT_TRUE(imported.config.thing_classes.empty());
  EXPECT_TRUE(contains_line(other.notes, "none set"));
}

}  // namespace
}  // namespace segx::model
