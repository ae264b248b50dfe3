// segx model import end to end: official checkpoints (the model fixtures' weights, made by the
// official code, as detectron2 configs with safetensors, .pkl and .pth checkpoints, and as Hugging
// Face folders) imported by the real binary and run by `segx infer` give the official outputs;
// each bad input is one line with its exit code and writes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <ATen/ATen.h>
#include <filesystem>
#include <fstream>
#include <map>

#include "segx/io/safetensors_torch.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path model_fixture(const std::string& sub) {
  return fs::path(SEGX_SOURCE_DIR) / "tests/parity/model/data" / sub;
}

const io::TensorMap& official_outputs(const std::string& sub) {
  static std::map<std::string, io::TensorMap> cache;
  auto& t = cache[sub];
  if (t.empty()) t = io::load_tensors((model_fixture(sub) / "outputs.safetensors").string());
  return t;
}

json read_json(const fs::path& path) {
  return json::parse(read_file(path));
}

// The fixture's input image (what the official model was given, RGB) as a PNG.
fs::path write_input_png(const std::string& sub, const fs::path& dir) {
  auto chw = official_outputs(sub).at("input.image_u8").contiguous();
  auto hwc = chw.permute({1, 2, 0}).flip(2).contiguous();  // RGB -> OpenCV's BGR
  cv::Mat image(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3,
                hwc.data_ptr<std::uint8_t>());
  const auto path = dir / (sub + ".png");
  EXPECT_TRUE(cv::imwrite(path.string(), image));
  return path;
}

// The dataset category id segx writes for a contiguous class of the imported model.
int dataset_id(const json& model, int contiguous) {
  const auto ids = model.value("category_ids", std::vector<int>{});
  return ids.empty() ? contiguous : ids.at(contiguous);
}

struct Infer {
  fs::path out_dir;
  json model;
};

Infer run_infer(const fs::path& model_dir, const fs::path& image, const std::string& task,
                const std::string& tag, const std::vector<std::string>& extra = {}) {
  const auto out = temp_dir(tag) / "pred";
  std::vector<std::string> args = {"infer",     image.string(),
                                   "--config",  (model_dir / "model.json").string(),
                                   "--weights", (model_dir / "weights.safetensors").string(),
                                   "--task",    task,
                                   "--out-dir", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {out, read_json(model_dir / "model.json")};
}

// segx infer's panoptic PNG and segments against the official post-processing: the same
// partition of the image (segment ids may be numbered alike or not) with the same categories.
void expect_official_panoptic(const std::string& sub, const Infer& run, const std::string& stem) {
  const auto want = official_outputs(sub).at("post.panoptic_seg").to(at::kLong);
  cv::Mat png = cv::imread((run.out_dir / "panoptic" / (stem + ".png")).string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(png.empty());
  ASSERT_EQ(png.rows, want.size(0));
  ASSERT_EQ(png.cols, want.size(1));
  const auto meta = read_json(model_fixture(sub) / "meta.json");
  std::map<long, int> want_category;  // official segment id -> contiguous class
  for (const auto& s : meta.at("post.panoptic_segments_info"))
    want_category[s.at("id").get<long>()] = s.at("category_id").get<int>();
  const auto pan = read_json(run.out_dir / "panoptic.json");
  std::map<long, int> our_category;  // our segment id -> dataset category
  for (const auto& s : pan.at("annotations").at(0).at("segments_info"))
    our_category[s.at("id").get<long>()] = s.at("category_id").get<int>();
  ASSERT_EQ(our_category.size(), want_category.size()) << sub;

  std::map<long, long> ours_of;  // official id -> ours, from the first pixel seen
  auto w = want.accessor<std::int64_t, 2>();
  int differ = 0;
  for (int y = 0; y < png.rows; ++y)
    for (int x = 0; x < png.cols; ++x) {
      const auto bgr = png.at<cv::Vec3b>(y, x);
      const long ours = bgr[2] + 256L * bgr[1] + 65536L * bgr[0];
      const long theirs = w[y][x];
      auto [it, first] = ours_of.emplace(theirs, ours);
      if (!first && it->second != ours) ++differ;
      if ((theirs == 0) != (ours == 0)) ++differ;
    }
  EXPECT_EQ(differ, 0) << sub << ": pixels off the official partition";
  for (const auto& [theirs, ours] : ours_of) {
    if (theirs == 0) continue;
    ASSERT_TRUE(our_category.count(ours)) << sub << ": segment " << ours;
    EXPECT_EQ(our_category[ours], dataset_id(run.model, want_category.at(theirs)))
        << sub << ": official segment " << theirs;
  }
}

// segx infer's semantic PNG (dataset ids) against the official argmax (contiguous ids).
void expect_official_semantic(const std::string& sub, const Infer& run, const std::string& stem) {
  const auto want = official_outputs(sub).at("post.sem_seg.argmax").to(at::kLong);
  cv::Mat png =
      cv::imread((run.out_dir / "semantic" / (stem + ".png")).string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(png.empty());
  ASSERT_EQ(png.rows, want.size(0));
  png.convertTo(png, CV_32S);
  auto w = want.accessor<std::int64_t, 2>();
  int differ = 0;
  for (int y = 0; y < png.rows; ++y)
    for (int x = 0; x < png.cols; ++x)
      if (png.at<int>(y, x) != dataset_id(run.model, static_cast<int>(w[y][x]))) ++differ;
  // The model agrees to ~1e-4: a pixel whose two best classes tie that closely may flip.
  EXPECT_LE(differ, 2) << sub;
}

CliResult import_model(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> all = {"model", "import"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--out-dir", out.string()});
  return run_segx(all);
}

std::string fixture_file(const std::string& sub, const std::string& name) {
  return (model_fixture(sub) / name).string();
}

// The thresholds the official run was given (the fixture's detectron2 opts), as segx infer options:
// transformers' configs hold none, so a Hugging Face import has segx's defaults.
std::vector<std::string> official_thresholds(const std::string& sub) {
  const auto opts = read_json(model_fixture(sub) / "meta.json").at("opts");
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < opts.size(); i += 2) {
    const auto key = opts[i].get<std::string>();
    if (key == "MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD")
      out.insert(out.end(), {"--object-mask-threshold", opts[i + 1].get<std::string>()});
    if (key == "MODEL.MASK_FORMER.TEST.OVERLAP_THRESHOLD")
      out.insert(out.end(), {"--overlap-threshold", opts[i + 1].get<std::string>()});
  }
  EXPECT_EQ(out.size(), 4u) << sub;
  return out;
}

// The fixtures were run at their own size: the test size is the image's short side.
std::vector<std::string> at_input_size(const std::string& sub) {
  const auto hw = read_json(model_fixture(sub) / "meta.json").at("input_hw");
  return {"INPUT.MIN_SIZE_TEST", std::to_string(std::min(hw[0].get<int>(), hw[1].get<int>()))};
}

TEST(ModelImportCli, Detectron2ConfigAndCheckpointInferAsTheOfficialModel) {
  const std::string sub = "m2f_r101";
  const auto dir = temp_dir("import_d2");
  std::vector<std::string> args = {fixture_file(sub, "config.yaml"),
                                   fixture_file(sub, "weights.safetensors")};
  for (const auto& a : at_input_size(sub)) args.push_back(a);
  auto r = import_model(args, dir / "model");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"model.json", "weights.safetensors", "import.json"})
    EXPECT_TRUE(fs::exists(dir / "model" / f)) << f;
  const auto report = read_json(dir / "model" / "import.json");
  EXPECT_EQ(report.at("architecture"), "mask2former");
  EXPECT_EQ(report.at("source").at("format"), "detectron2");
  EXPECT_FALSE(report.at("used").empty());
  EXPECT_FALSE(report.at("not_used").empty());
  const auto image = write_input_png(sub, dir);
  expect_official_panoptic(sub, run_infer(dir / "model", image, "panoptic", "import_d2_pan"), sub);
  expect_official_semantic(sub, run_infer(dir / "model", image, "semantic", "import_d2_sem"), sub);
}

TEST(ModelImportCli, MaskFormerConfigAndCheckpointInferAsTheOfficialModel) {
  const std::string sub = "maskformer_r50_fpn";
  const auto dir = temp_dir("import_maskformer");
  std::vector<std::string> args = {fixture_file(sub, "config.yaml"),
                                   fixture_file(sub, "weights.safetensors")};
  for (const auto& a : at_input_size(sub)) args.push_back(a);
  auto r = import_model(args, dir / "model");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto image = write_input_png(sub, dir);
  expect_official_semantic(sub, run_infer(dir / "model", image, "semantic", "import_mf_sem"), sub);
}

// The same official weights as a model-zoo .pkl and a torch.save .pth (written by Python at test
// time from the fixture) import to the same tensors as the safetensors file.
TEST(ModelImportCli, PklAndPthCheckpointsImportAsTheirSafetensors) {
  const std::string sub = "m2f_r101";
  const auto dir = temp_dir("import_formats");
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const auto script = fs::path(SEGX_SOURCE_DIR) / "tests/unit/io/safetensors_to_checkpoints.py";
  const std::string command = "/usr/bin/python3 '" + script.string() + "' '" +
                              fixture_file(sub, "weights.safetensors") + "' '" + dir.string() +
                              "' 2> '" + (dir / "python.log").string() + "'";
  const int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) GTEST_SKIP() << read_file(dir / "python.log");
  ASSERT_EQ(status, 0) << read_file(dir / "python.log");

  auto imported = [&](const std::string& checkpoint, const std::string& name) {
    auto r = import_model({fixture_file(sub, "config.yaml"), checkpoint}, dir / name);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return io::load_tensors((dir / name / "weights.safetensors").string());
  };
  const auto want = imported(fixture_file(sub, "weights.safetensors"), "from_safetensors");
  for (const char* file : {"weights.pkl", "weights.pth"}) {
    const auto got = imported((dir / file).string(), file + std::string(".model"));
    ASSERT_EQ(got.size(), want.size()) << file;
    for (const auto& [name, t] : want) {
      ASSERT_TRUE(got.count(name)) << file << ": " << name;
      EXPECT_TRUE(at::equal(got.at(name), t)) << file << ": " << name;
    }
  }
}

// A Hugging Face folder as transformers' conversion writes it (the fixture's config.json and
// model.safetensors, with the preprocessor_config.json the image processor saves).
TEST(ModelImportCli, HuggingFaceFolderInfersAsTheOfficialModel) {
  const std::string sub = "m2f_swin_w7";
  const auto dir = temp_dir("import_hf");
  const auto folder = dir / "hf";
  fs::create_directories(folder);
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(model_fixture("huggingface/" + sub) / f, folder / f);
  const auto side = at_input_size(sub)[1];
  std::ofstream(folder / "preprocessor_config.json")
      << R"({"image_processor_type": "Mask2FormerImageProcessor", "do_resize": true, )"
      << R"("size": {"shortest_edge": )" << side << R"(, "longest_edge": 1333}, )"
      << R"("size_divisor": 32, "do_normalize": true, )"
      << R"("image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]})";
  // transformers' config names no thing classes (here id2label is class_0..): say them.
  auto r = run_segx({"model", "import", folder.string(), "--thing-classes", "0-79", "--out-dir",
                     (dir / "model").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = read_json(dir / "model" / "import.json");
  EXPECT_EQ(report.at("source").at("format"), "huggingface");
  EXPECT_EQ(read_json(dir / "model" / "model.json").at("thing_classes").size(), 80u);
  const auto image = write_input_png(sub, dir);
  expect_official_panoptic(
      sub, run_infer(dir / "model", image, "panoptic", "import_hf_pan", official_thresholds(sub)),
      sub);
  expect_official_semantic(sub, run_infer(dir / "model", image, "semantic", "import_hf_sem"), sub);
}

// ---- bad input: one line, the documented exit code, nothing written ---------------------------

struct BadImport {
  std::string name;
  int exit_code;
  std::string says;  // a part of the one-line message
};

void expect_refused(const CliResult& r, const fs::path& out, const BadImport& want) {
  EXPECT_EQ(r.exit_code, want.exit_code) << want.name << ": " << r.err;
  EXPECT_TRUE(has(r.err, want.says)) << want.name << ": " << r.err;
  // One line of error (progress before it may be on stderr too).
  std::size_t errors = 0;
  for (std::size_t at = r.err.find("error"); at != std::string::npos;
       at = r.err.find("error", at + 1))
    ++errors;
  EXPECT_LE(errors, 1u) << want.name << ": " << r.err;
  EXPECT_FALSE(fs::exists(out)) << want.name << ": output written";
  for (const auto& entry : fs::directory_iterator(out.parent_path()))
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos)
        << want.name << ": " << entry.path();
}

// The fixture's weights with one change, as a safetensors checkpoint.
fs::path edited_checkpoint(const fs::path& dir, const std::string& tag,
                           void (*edit)(io::TensorMap&)) {
  auto tensors = io::load_tensors(fixture_file("m2f_r101", "weights.safetensors"));
  edit(tensors);
  const auto path = dir / (tag + ".safetensors");
  io::save_tensors(path.string(), tensors);
  return path;
}

TEST(ModelImportCli, TensorsThatDoNotMatchTheConfigAreRefusedNamingThem) {
  const auto dir = temp_dir("import_bad_tensors");
  const std::string config = fixture_file("m2f_r101", "config.yaml");
  const std::string victim = "sem_seg_head.predictor.class_embed.weight";
  struct Case {
    BadImport want;
    void (*edit)(io::TensorMap&);
  };
  const std::vector<Case> cases = {
      {{"missing", 78, "1 missing: " + victim},
       [](io::TensorMap& t) { t.erase("sem_seg_head.predictor.class_embed.weight"); }},
      {{"extra", 78, "1 unexpected: sem_seg_head.predictor.extra_head.weight"},
       [](io::TensorMap& t) { t["sem_seg_head.predictor.extra_head.weight"] = at::zeros({4}); }},
      {{"wrong shape", 78, victim},
       [](io::TensorMap& t) {
         auto& w = t.at("sem_seg_head.predictor.class_embed.weight");
         w = w.narrow(0, 0, w.size(0) - 1).contiguous();
       }},
  };
  for (const auto& c : cases) {
    const auto checkpoint =
        edited_checkpoint(dir, "ckpt_" + std::to_string(&c - &cases[0]), c.edit);
    const auto out = dir / ("out_" + std::to_string(&c - &cases[0]));
    auto r = import_model({config, checkpoint.string()}, out);
    expect_refused(r, out, c.want);
    EXPECT_TRUE(has(r.err, checkpoint.filename().string())) << c.want.name << ": " << r.err;
  }
}

TEST(ModelImportCli, ConfigsSegxCannotBuildAreRefusedNamingTheKey) {
  const auto dir = temp_dir("import_bad_config");
  const std::string config = fixture_file("m2f_r101", "config.yaml");
  const std::string weights = fixture_file("m2f_r101", "weights.safetensors");
  const std::vector<std::pair<std::vector<std::string>, BadImport>> cases = {
      {{config, weights, "MODEL.META_ARCHITECTURE", "GeneralizedRCNN"},
       {"unknown architecture", 78, "MODEL.META_ARCHITECTURE"}},
      {{config, weights, "MODEL.BACKBONE.NAME", "D2DiNAT"},
       {"unknown backbone", 78, "MODEL.BACKBONE.NAME"}},
      {{config, weights, "MODEL.NO_SUCH_KEY", "1"}, {"unknown key", 78, "MODEL.NO_SUCH_KEY"}},
      {{config, weights, "MODEL.MASK_FORMER.HIDDEN_DIM"},
       {"override without value", 64, "MODEL.MASK_FORMER.HIDDEN_DIM"}},
      {{config}, {"no checkpoint", 64, "needs its checkpoint"}},
      {{config, (dir / "no_such.pkl").string()}, {"missing checkpoint", 66, "no_such.pkl"}},
      {{(dir / "no_such.yaml").string(), weights}, {"missing config", 66, "no_such.yaml"}},
  };
  int i = 0;
  for (const auto& [args, want] : cases) {
    const auto out = dir / ("out_" + std::to_string(i++));
    expect_refused(import_model(args, out), out, want);
  }
}

TEST(ModelImportCli, HuggingFaceFoldersSegxCannotBuildAreRefusedNamingTheKey) {
  const auto dir = temp_dir("import_bad_hf");
  auto folder_with = [&](const std::string& tag, const std::string& key, const json& value) {
    const auto folder = dir / tag;
    fs::create_directories(folder);
    auto config = read_json(model_fixture("huggingface/m2f_swin_w7") / "config.json");
    config[key] = value;
    std::ofstream(folder / "config.json") << config.dump(1);
    fs::copy_file(model_fixture("huggingface/m2f_swin_w7") / "model.safetensors",
                  folder / "model.safetensors");
    return folder.string();
  };
  auto backbone =
      read_json(model_fixture("huggingface/m2f_swin_w7") / "config.json").at("backbone_config");
  backbone["model_type"] = "dinat";
  const std::vector<std::pair<std::vector<std::string>, BadImport>> cases = {
      {{folder_with("arch", "architectures", json::array({"DetrForSegmentation"}))},
       {"unknown architecture", 78, "DetrForSegmentation"}},
      {{folder_with("backbone", "backbone_config", backbone)}, {"unknown backbone", 78, "dinat"}},
      {{folder_with("queries", "num_queries", 17)}, {"wrong shape", 78, "queries_features.weight"}},
      {{folder_with("extra_args", "num_queries", 16), "weights.pkl"},
       {"checkpoint after a folder", 64, "Hugging Face folder"}},
      {{(dir / "empty_folder").string()}, {"no config.json", 66, "config.json"}},
  };
  fs::create_directories(dir / "empty_folder");
  int i = 0;
  for (const auto& [args, want] : cases) {
    const auto out = dir / ("out_" + std::to_string(i++));
    expect_refused(import_model(args, out), out, want);
  }
}

TEST(ModelImportCli, APickleThatWouldRunCodeIsRefused) {
  const auto dir = temp_dir("import_evil");
  const auto checkpoints = fs::path(SEGX_SOURCE_DIR) / "tests/unit/io/data/checkpoints";
  for (const char* file : {"evil_os_system.pkl", "evil_subprocess_p5.pkl", "evil.pth"}) {
    const auto out = dir / (std::string("out_") + file);
    auto r =
        import_model({fixture_file("m2f_r101", "config.yaml"), (checkpoints / file).string()}, out);
    expect_refused(r, out, {file, 65, file});
  }
}

TEST(ModelImportCli, ANonEmptyOutDirNeedsOverwrite) {
  const auto dir = temp_dir("import_overwrite");
  const auto out = dir / "model";
  fs::create_directories(out);
  std::ofstream(out / "keep.txt") << "mine";
  const std::vector<std::string> args = {fixture_file("m2f_r101", "config.yaml"),
                                         fixture_file("m2f_r101", "weights.safetensors")};
  auto r = import_model(args, out);
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_FALSE(fs::exists(out / "model.json"));
  auto all = args;
  all.push_back("--overwrite");
  r = import_model(all, out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "model.json"));
  EXPECT_EQ(read_file(out / "keep.txt"), "mine");
}

TEST(ModelImportCli, ThingClassesOutsideTheModelAreAUsageError) {
  const auto dir = temp_dir("import_things");
  const auto out = dir / "model";
  auto r =
      import_model({fixture_file("m2f_r101", "config.yaml"),
                    fixture_file("m2f_r101", "weights.safetensors"), "--thing-classes", "0-200"},
                   out);
  expect_refused(r, out, {"thing classes", 64, "0-200"});
}

}  // namespace
}  // namespace segx::test
