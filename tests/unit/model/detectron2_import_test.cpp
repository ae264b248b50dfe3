// detectron2 config -> segx model config: the key table covers every key, the mapping reads only
// honoured and checked keys, each bad input is refused in one line naming the key (Config, exit
// 78; malformed YAML DataError, 65), and the report says what became of every key. The official
// configs are tests/parity/model/detectron2_import_test.cpp's.
#include "segx/model/import/detectron2.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "segx/core/error.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(SEGX_SOURCE_DIR) / "tests/unit/model/data/detectron2";

Detectron2Import import(const std::string& name, std::vector<std::string> overrides = {}) {
  io::Detectron2ResolveOptions options;
  options.overrides = std::move(overrides);
  return import_detectron2_config((kData / name).string(), options);
}

// A one-line Error of this kind whose message contains each of `parts`.
void expect_error(const std::function<void()>& f, ErrorKind kind,
                  const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << parts.front();
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << message;
    EXPECT_EQ(exit_code(e.kind()), kind == ErrorKind::Config ? 78 : exit_code(kind));
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

void refused(const std::string& config, std::vector<std::string> overrides,
             const std::vector<std::string>& parts) {
  SCOPED_TRACE(config + " " + overrides.front());
  expect_error([&] { import(config, overrides); }, ErrorKind::Config, parts);
}

bool has_line(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

TEST(Detectron2KeyTable, EveryDefaultKeyHasARowAndEveryRowAKey) {
  std::set<std::string> matched;
  for (const auto& repository : io::detectron2_repositories())
    for (const auto& [key, value] : io::detectron2_leaves(io::detectron2_defaults(repository))) {
      (void)value;
      const auto* rule = detectron2_key_rule(key);
      ASSERT_NE(rule, nullptr) << repository << " " << key;
      matched.insert(rule->pattern);
    }
  for (const auto& rule : detectron2_key_table()) {
    EXPECT_TRUE(matched.count(rule.pattern)) << rule.pattern << " matches no key";
    EXPECT_NE(std::string(rule.what), "") << rule.pattern;
    if (rule.use != Detectron2KeyUse::NotUsed) {
      EXPECT_NE(rule.scope, nullptr) << rule.pattern;
    }
  }
}

// The keys a report lists as used ("KEY = value -> ..."), and that each has a row that says so.
void expect_used_rows(const Detectron2Import& imported) {
  for (const auto& line : imported.report.used) {
    const std::string key = line.substr(0, line.find(' '));
    const auto* rule = detectron2_key_rule(key);
    ASSERT_NE(rule, nullptr) << key;
    EXPECT_NE(rule->use, Detectron2KeyUse::NotUsed) << key << " is read but its row says not used";
  }
  for (const auto& line : imported.report.not_used) {
    const std::string key = line.substr(0, line.find_first_of(" :"));
    EXPECT_FALSE(has_line(imported.report.used, key + " = ")) << key << " both used and not";
  }
}

TEST(Detectron2Import, Mask2FormerResNet) {
  const auto imported = import("mask2former_r50.yaml");
  const auto& c = imported.config;
  EXPECT_EQ(c.architecture, "mask2former");
  EXPECT_EQ(c.backbone, "resnet");
  EXPECT_EQ(c.resnet.depth, 50);
  EXPECT_EQ(c.resnet.stem_type, "basic");
  EXPECT_FALSE(c.resnet.stride_in_1x1);
  EXPECT_TRUE(c.resnet.res5_multi_grid.empty());
  EXPECT_EQ(c.pixel_decoder.name, "msdeformattn");
  EXPECT_EQ(c.pixel_decoder.transformer_nheads, 8);
  EXPECT_EQ(c.pixel_decoder.transformer_dim_feedforward, 1024);
  EXPECT_EQ(c.decoder.dec_layers, 10);
  EXPECT_EQ(c.decoder.dim_feedforward, 2048);
  EXPECT_EQ(c.num_classes, 133);
  EXPECT_EQ(c.pixel_mean, (std::vector<double>{123.675, 116.28, 103.53}));
  EXPECT_EQ(c.size_divisibility, 32);
  EXPECT_DOUBLE_EQ(c.test.object_mask_threshold, 0.8);
  EXPECT_TRUE(c.test.sem_seg_postprocess_before_inference);
  EXPECT_EQ(c.test.topk_per_image, 100);
  EXPECT_EQ(c.test.min_size, 800);  // detectron2's default INPUT.MIN_SIZE_TEST
  EXPECT_EQ(c.test.max_size, 1333);
  // COCO panoptic: 133 classes, the 80 things first, COCO's category ids.
  ASSERT_EQ(c.class_names.size(), 133u);
  EXPECT_EQ(c.class_names[0], "person");
  EXPECT_EQ(c.category_ids[80], 92);
  EXPECT_EQ(c.thing_classes.size(), 80u);
  EXPECT_EQ(c.thing_classes.back(), 79);
  const auto& r = imported.report;
  EXPECT_TRUE(has_line(r.used, "MODEL.RESNETS.DEPTH = 50 -> resnet.depth"));
  EXPECT_TRUE(has_line(r.used,
                       "MODEL.MASK_FORMER.NHEADS = 8 -> decoder.nheads, "
                       "pixel_decoder.transformer_nheads"));
  EXPECT_TRUE(has_line(r.used,
                       "MODEL.RESNETS.DEFORM_ON_PER_STAGE = [False, False, False, False] "
                       "(checked:"));
  EXPECT_TRUE(has_line(r.not_used, "SOLVER.BASE_LR: training only"));
  EXPECT_TRUE(has_line(r.not_used, "MODEL.MASK_FORMER.CLASS_WEIGHT: the training loss"));
  EXPECT_TRUE(has_line(r.not_used, "MODEL.MASK_FORMER.TEST.SEMANTIC_ON: an output choice"));
  EXPECT_TRUE(has_line(r.not_used,
                       "INPUT.MIN_SIZE_TRAIN: training-time data augmentation (a "
                       "Python expression, not evaluated)"));
  EXPECT_TRUE(has_line(r.not_used,
                       "MODEL.ROI_HEADS.* (10 keys left at their defaults): read only "
                       "by detectron2's other meta-architectures"));
  EXPECT_TRUE(has_line(r.not_used,
                       "MODEL.SWIN.DEPTHS (left at its default): not read for this "
                       "model (only for D2SwinTransformer)"));
  EXPECT_TRUE(has_line(r.not_used, "GLOBAL.HACK (left at its default): "));
  EXPECT_TRUE(has_line(r.notes,
                       "detectron2 defaults of Mask2Former (Mask2Former's defaults are "
                       "the first to define every key the config sets)"));
  expect_used_rows(imported);
}

TEST(Detectron2Import, OneFormerSwin) {
  const auto imported = import("oneformer_swin.yaml");
  const auto& c = imported.config;
  EXPECT_EQ(c.architecture, "oneformer");
  EXPECT_EQ(c.backbone, "swin");
  EXPECT_EQ(c.swin.depths, (std::vector<int>{2, 2, 6, 2}));
  EXPECT_EQ(c.swin.qk_scale, 0);  // QK_SCALE None
  EXPECT_EQ(c.decoder.num_queries, 150);
  EXPECT_EQ(c.oneformer.task_seq_len, 77);
  EXPECT_EQ(c.oneformer.class_dec_layers, 2);
  EXPECT_DOUBLE_EQ(c.test.overlap_threshold, 0.5);
  EXPECT_TRUE(c.test.sem_seg_postprocess_before_inference);  // PANOPTIC_ON
  EXPECT_EQ(c.test.min_size, 512);
  EXPECT_EQ(c.test.max_size, 2048);
  EXPECT_EQ(c.thing_classes.size(), 100u);
  EXPECT_EQ(c.thing_classes.front(), 7);
  EXPECT_TRUE(has_line(imported.report.notes, "renumbers ADE20K instance predictions"));
  EXPECT_TRUE(has_line(imported.report.not_used, "MODEL.TEXT_ENCODER.* (6 keys"));
  expect_used_rows(imported);
  // SIZE_DIVISIBILITY -1 is the backbone's: 32 for Swin.
  EXPECT_EQ(import("oneformer_swin.yaml", {"MODEL.ONE_FORMER.SIZE_DIVISIBILITY", "-1"})
                .config.size_divisibility,
            32);
}

TEST(Detectron2Import, MaskFormerDeepLabResNet) {
  const auto imported = import("maskformer_r101c.yaml");
  const auto& c = imported.config;
  EXPECT_EQ(c.architecture, "maskformer");
  EXPECT_EQ(c.resnet.stem_type, "deeplab");
  EXPECT_EQ(c.resnet.stem_out_channels, 128);
  EXPECT_EQ(c.resnet.res5_multi_grid, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(c.pixel_decoder.name, "fpn");
  EXPECT_EQ(c.decoder.transformer_in_feature, "res5");
  EXPECT_FALSE(c.test.sem_seg_postprocess_before_inference);  // semantic only
  // ADE20K semantic: names, no thing map upstream (so no thing classes), no category ids.
  EXPECT_EQ(c.class_names.size(), 150u);
  EXPECT_TRUE(c.thing_classes.empty());
  EXPECT_TRUE(c.category_ids.empty());
  EXPECT_TRUE(has_line(imported.report.notes, "without thing classes upstream"));
  EXPECT_TRUE(has_line(imported.report.not_used,
                       "MODEL.SEM_SEG_HEAD.COMMON_STRIDE (left at its default): not read for this "
                       "model (only for the MSDeformAttnPixelDecoder)"));
  expect_used_rows(imported);
  EXPECT_EQ(import("maskformer_r101c.yaml", {"MODEL.MASK_FORMER.SIZE_DIVISIBILITY", "-1"})
                .config.size_divisibility,
            0);  // a ResNet's
  EXPECT_EQ(import("maskformer_r101c.yaml", {"MODEL.RESNETS.NORM", "SyncBN"}).config.resnet.norm,
            "FrozenBN");
}

TEST(Detectron2Import, ClassesOnlyWhereSegxKnowsTheDataset) {
  auto unknown = import("mask2former_r50.yaml", {"DATASETS.TRAIN", "('my_dataset',)"});
  EXPECT_TRUE(unknown.config.class_names.empty());
  EXPECT_TRUE(unknown.config.thing_classes.empty());
  EXPECT_TRUE(has_line(unknown.report.notes, "'my_dataset': segx has no category list"));
  auto mismatch = import("mask2former_r50.yaml", {"MODEL.SEM_SEG_HEAD.NUM_CLASSES", "80"});
  EXPECT_TRUE(mismatch.config.class_names.empty());
  EXPECT_TRUE(has_line(mismatch.report.notes, "has 133 classes"));
  auto instances = import("mask2former_r50.yaml", {"DATASETS.TRAIN", "('coco_2017_train',)",
                                                   "MODEL.SEM_SEG_HEAD.NUM_CLASSES", "80"});
  EXPECT_EQ(instances.config.thing_classes.size(), 80u);
  EXPECT_EQ(instances.config.category_ids.back(), 90);
  auto cityscapes =
      import("mask2former_r50.yaml", {"DATASETS.TRAIN", "('cityscapes_fine_panoptic_train',)",
                                      "MODEL.SEM_SEG_HEAD.NUM_CLASSES", "19"});
  EXPECT_EQ(cityscapes.config.class_names.front(), "road");  // trainId 0
  EXPECT_EQ(cityscapes.config.category_ids.front(), 7);      // its label id
  EXPECT_EQ(cityscapes.config.thing_classes, (std::vector<int>{11, 12, 13, 14, 15, 16, 17, 18}));
}

TEST(Detectron2Import, RefusesWhatSegxDoesNotBuildByName) {
  const std::string m2f = "mask2former_r50.yaml";
  refused(m2f, {"MODEL.RESNETS.DEFORM_ON_PER_STAGE", "[False, True, False, False]"},
          {"mask2former_r50.yaml': MODEL.RESNETS.DEFORM_ON_PER_STAGE [False, True, False, "
           "False]: four False values"});
  refused(m2f, {"MODEL.RESNETS.NORM", "LN"}, {"MODEL.RESNETS.NORM 'LN': segx's ResNet has"});
  refused(m2f, {"TEST.AUG.ENABLED", "True"}, {"TEST.AUG.ENABLED True: False"});
  refused(m2f, {"INPUT.FORMAT", "BGR"}, {"INPUT.FORMAT 'BGR': \"RGB\""});
  refused(m2f, {"MODEL.SEM_SEG_HEAD.NORM", "SyncBN"}, {"MODEL.SEM_SEG_HEAD.NORM 'SyncBN'"});
  refused(m2f, {"MODEL.MASK_FORMER.TRANSFORMER_IN_FEATURE", "res5"},
          {"MODEL.MASK_FORMER.TRANSFORMER_IN_FEATURE 'res5': a feature of CONVS_DIM (256)"});
  refused(m2f, {"MODEL.META_ARCHITECTURE", "SemanticSegmentor"},
          {"MODEL.META_ARCHITECTURE 'SemanticSegmentor'"});
  refused(m2f, {"MODEL.SEM_SEG_HEAD.NAME", "PerPixelBaselineHead"},
          {"MODEL.SEM_SEG_HEAD.NAME 'PerPixelBaselineHead': MaskFormerHead"});
  refused(m2f, {"MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME", "BasePixelDecoder"},
          {"MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME 'BasePixelDecoder': the mask2former decoder"});
  refused(m2f, {"MODEL.BACKBONE.NAME", "D2ConvNeXt"},
          {"MODEL.BACKBONE.NAME 'D2ConvNeXt': only OneFormer registers D2ConvNeXt"});
  refused(m2f, {"MODEL.RESNETS.DEPTH", "18"},
          {"MODEL.RESNETS.RES2_OUT_CHANNELS 256: must be 64 for R18/R34"});
  refused(m2f, {"MODEL.RESNETS.OUT_FEATURES", "['res4']"}, {"MODEL.RESNETS.OUT_FEATURES ['res4']"});
  refused(m2f, {"MODEL.PIXEL_MEAN", "[1.0, 2.0]"}, {"MODEL.PIXEL_MEAN [1.0, 2.0]: must have 3"});
  refused(m2f, {"MODEL.RESNETS.DEPTH", "None"}, {"MODEL.RESNETS.DEPTH None: must be an int"});
  // segx's own checks of the model config, named by the detectron2 key that set the value.
  refused(m2f, {"MODEL.MASK_FORMER.NHEADS", "7"},
          {"MODEL.SEM_SEG_HEAD.CONVS_DIM 256: segx's pixel_decoder.conv_dim must be divisible by "
           "pixel_decoder.transformer_nheads (MODEL.MASK_FORMER.NHEADS)"});
  refused(m2f, {"MODEL.SEM_SEG_HEAD.COMMON_STRIDE", "2"},
          {"MODEL.SEM_SEG_HEAD.COMMON_STRIDE 2: segx's pixel_decoder.common_stride"});
  const std::string r101c = "maskformer_r101c.yaml";
  refused(r101c, {"MODEL.RESNETS.RES4_DILATION", "2"}, {"MODEL.RESNETS.RES4_DILATION 2: 1"});
  refused(r101c, {"MODEL.RESNETS.RES5_DILATION", "4"}, {"MODEL.RESNETS.RES5_DILATION 4"});
  refused(r101c, {"MODEL.RESNETS.RES5_MULTI_GRID", "[1, 2]"}, {"MODEL.RESNETS.RES5_MULTI_GRID"});
  refused(r101c, {"MODEL.MASK_FORMER.TRANSFORMER_IN_FEATURE", "pixel_embedding"},
          {"MODEL.MASK_FORMER.TRANSFORMER_IN_FEATURE 'pixel_embedding'"});
  const std::string one = "oneformer_swin.yaml";
  refused(one, {"MODEL.BACKBONE.NAME", "D2DiNAT"},
          {"oneformer_swin.yaml': MODEL.BACKBONE.NAME 'D2DiNAT': segx has no such backbone"});
  refused(one, {"MODEL.IS_DEMO", "True"}, {"MODEL.IS_DEMO True: False"});
  refused(one, {"MODEL.ONE_FORMER.ENC_LAYERS", "1"}, {"MODEL.ONE_FORMER.ENC_LAYERS 1: 0"});
  refused(one, {"MODEL.SWIN.PATCH_SIZE", "8"},
          {"MODEL.SWIN.PATCH_SIZE 8: segx's swin.patch_size must be 4"});
  refused(one, {"MODEL.SWIN.OUT_FEATURES", "['res3', 'res4', 'res5']"},
          {"MODEL.SWIN.OUT_FEATURES"});
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(Detectron2Import, BadFilesAreRefusedNamingFileAndKey) {
  const fs::path dir = test::temp_dir("d2_import_bad");
  const std::string base = "_BASE_: " + (kData / "mask2former_r50.yaml").string() + "\n";
  auto run = [&](const std::string& name) {
    return import_detectron2_config((dir / name).string());
  };
  // A Python expression where segx needs the value.
  write(dir / "python.yaml",
        base + "MODEL:\n  SEM_SEG_HEAD:\n    NUM_CLASSES: !!python/object/apply:eval ['100+33']\n");
  expect_error([&] { run("python.yaml"); }, ErrorKind::Config,
               {"python.yaml': MODEL.SEM_SEG_HEAD.NUM_CLASSES !!python/object/apply:eval "
                "[\"100+33\"]: a Python expression, not evaluated"});
  write(dir / "unknown.yaml", base + "MODEL:\n  RESNETS:\n    DEPHT: 50\n");
  expect_error([&] { run("unknown.yaml"); }, ErrorKind::Config,
               {"unknown.yaml': unknown key MODEL.RESNETS.DEPHT"});
  write(dir / "type.yaml", base + "MODEL:\n  MASK_FORMER:\n    HIDDEN_DIM: 256.0\n");
  expect_error([&] { run("type.yaml"); }, ErrorKind::Config,
               {"type.yaml': MODEL.MASK_FORMER.HIDDEN_DIM: 256.0 is a float, where detectron2 "
                "has an int (256)"});
  write(dir / "cycle.yaml", "_BASE_: cycle.yaml\n");
  expect_error([&] { run("cycle.yaml"); }, ErrorKind::Config, {"_BASE_ cycle"});
  write(dir / "missing.yaml", "_BASE_: missing_base.yaml\n");
  expect_error([&] { run("missing.yaml"); }, ErrorKind::Config,
               {"missing.yaml': _BASE_", "missing_base.yaml' is not a file"});
  write(dir / "malformed.yaml", base + "MODEL: {PIXEL_MEAN: [1, 2\n");
  expect_error([&] { run("malformed.yaml"); }, ErrorKind::DataError,
               {"malformed.yaml': not valid YAML"});
  EXPECT_EQ(exit_code(ErrorKind::DataError), 65);
  // The base's MASK_FORMER keys mark it Mask2Former's, so a video key is unknown there.
  write(dir / "video.yaml", base + "MODEL:\n  META_ARCHITECTURE: VideoMaskFormer\n");
  expect_error([&] { run("video.yaml"); }, ErrorKind::Config,
               {"MODEL.META_ARCHITECTURE 'VideoMaskFormer': a video model"});
}

}  // namespace
}  // namespace segx::model
