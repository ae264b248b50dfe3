// segx infer end to end: the real binary on fixture images with the reference small model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string config() {
  return std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json";
}
std::string weights(const char* sub = "small") {
  return (fixtures_root() / "reference-model" / sub / "weights.safetensors").string();
}
std::string image() {
  return (fixtures_root() / "synth/n200/images/000000000001.jpg").string();
}

std::string fmt_name(int id) {
  std::string s = std::to_string(id);
  return std::string(12 - s.size(), '0') + s + ".jpg";
}

std::vector<json> lines(const std::string& out) {
  std::vector<json> r;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) r.push_back(json::parse(line));
  return r;
}

TEST(InferCli, PanopticRecordsAndFiles) {
  SEGX_REQUIRE_FIXTURES();
  auto base = temp_dir("infer");
  auto dir = base / "out";
  // The same picture from two cameras' folders: the outputs keep the folders apart.
  for (const char* cam : {"cam0", "cam1"}) {
    fs::create_directories(base / cam);
    fs::create_symlink(image(), base / cam / "000000000001.jpg");
  }
  const auto cam0 = (base / "cam0" / "000000000001.jpg").string();
  const auto cam1 = (base / "cam1" / "000000000001.jpg").string();
  auto r = run_segx({"infer", cam0, cam1, "--config", config(), "--weights", weights(),
                     "--object-mask-threshold", "0.3", "--overlap-threshold", "0", "--batch-size",
                     "2", "--out-dir", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 3u);
  // Without an input manifest the header names the model's classes.
  EXPECT_EQ(recs[0].at("type"), "header");
  EXPECT_EQ(recs[0].at("categories").size(), 133u);
  EXPECT_EQ(recs[1].at("type"), "image");
  EXPECT_EQ(recs[1].at("image_id"), "cam0/000000000001");
  EXPECT_EQ(recs[2].at("image_id"), "cam1/000000000001");
  EXPECT_EQ(recs[1].at("width"), 640);
  EXPECT_EQ(recs[1].at("height"), 480);
  // The same image twice in one batch: the same segments. Scores may differ in the last float
  // bits, since a float32 convolution need not round the same at every batch position.
  auto segments = [](json info) {
    std::vector<double> scores;
    for (auto& s : info) {
      scores.push_back(s.at("score").get<double>());
      s.erase("score");
    }
    return std::make_pair(info, scores);
  };
  const auto [first, first_scores] = segments(recs[1].at("segments_info"));
  const auto [second, second_scores] = segments(recs[2].at("segments_info"));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  ASSERT_EQ(first_scores.size(), second_scores.size());
  for (size_t i = 0; i < first_scores.size(); ++i)
    EXPECT_NEAR(first_scores[i], second_scores[i], 1e-5) << "segment " << i;
  EXPECT_TRUE(fs::exists(dir / "panoptic" / "cam0" / "000000000001.png"));
  EXPECT_TRUE(fs::exists(dir / "panoptic" / "cam1" / "000000000001.png"));
  EXPECT_EQ(recs[2].at("pan_seg_file_name"), (dir / "panoptic" / "cam1" / "000000000001.png").string());
  auto pan = json::parse(read_file(dir / "panoptic.json"));
  EXPECT_EQ(pan.at("annotations").size(), 2u);
  EXPECT_EQ(pan.at("annotations").at(1).at("file_name"), "cam1/000000000001.png");
  EXPECT_EQ(pan.at("images").at(1).at("file_name"), "cam1/000000000001.jpg");
  EXPECT_NE(pan.at("images").at(0).at("id"), pan.at("images").at(1).at("id"));
  EXPECT_EQ(pan.at("images").size(), 2u);
  EXPECT_EQ(pan.at("categories"), recs[0].at("categories"));
}

// Two inputs that would write one file (the same image twice, or a.jpg beside a.png) are refused
// before anything is predicted or written.
TEST(InferCli, InputsThatWouldWriteOneFileAreRefused) {
  SEGX_REQUIRE_FIXTURES();
  auto base = temp_dir("infer_collide");
  fs::create_symlink(image(), base / "a.jpg");
  fs::create_symlink(image(), base / "a.png");
  for (const auto& inputs : std::vector<std::vector<std::string>>{
           {image(), image()}, {(base / "a.jpg").string(), (base / "a.png").string()}}) {
    std::vector<std::string> args = {"infer"};
    args.insert(args.end(), inputs.begin(), inputs.end());
    args.insert(args.end(), {"--config", config(), "--weights", weights(), "--out-dir",
                             (base / "out").string()});
    auto r = run_segx(args);
    EXPECT_EQ(r.exit_code, 65) << r.err;
    EXPECT_NE(r.err.find("would both write"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(base / "out"));
  }
}

// A manifest on stdin: its header and image ids carry over, so the output pairs with the
// ground truth in `segx eval pq` (through a pipe, as the README shows).
TEST(InferCli, ManifestInputPipesIntoEval) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_pipe");
  const auto n200 = fixtures_root() / "synth/n200";
  auto m =
      run_segx({"convert", "panoptic2manifest", (n200 / "panoptic_gt.json").string(),
                "--images-dir", (n200 / "images").string(), "-o", (dir / "all.jsonl").string()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  std::ifstream all(dir / "all.jsonl");
  std::ofstream gt(dir / "gt.jsonl");
  std::string line;
  for (int i = 0; i < 3 && std::getline(all, line); ++i) gt << line << '\n';  // header + 2
  gt.close();
  // The reference model's 133 classes are not n200's: a threshold of 1 keeps no segment, so
  // what is checked here is that images pair up, not the score.
  auto r = run_segx(
      {"infer", "-", "--config", config(), "--weights", weights(), "--object-mask-threshold", "1",
       "--out-dir", (dir / "pred").string(), "-o", (dir / "pred.jsonl").string()},
      read_file(dir / "gt.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(read_file(dir / "pred.jsonl"));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].at("type"), "header");
  EXPECT_EQ(recs[1].at("image_id"), 1);
  EXPECT_EQ(recs[2].at("image_id"), 2);
  auto pan = json::parse(read_file(dir / "pred" / "panoptic.json"));
  EXPECT_EQ(pan.at("images").at(0).at("id"), 1);
  EXPECT_EQ(pan.at("annotations").at(1).at("image_id"), 2);
  // Piped into eval, and the same through the COCO panoptic files: one result.
  auto piped = run_segx({"eval", "pq", "--gt-manifest", (dir / "gt.jsonl").string(),
                         "--pred-manifest", "-", "--json", "-"},
                        read_file(dir / "pred.jsonl"));
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto files = run_segx({"eval", "pq", "--gt-manifest", (dir / "gt.jsonl").string(), "--pred-json",
                         (dir / "pred" / "panoptic.json").string(), "--json", "-"});
  ASSERT_EQ(files.exit_code, 0) << files.err;
  EXPECT_EQ(json::parse(piped.out).at("All"), json::parse(files.out).at("All"));
  EXPECT_EQ(json::parse(piped.out).at("images"), 2);
}

TEST(InferCli, InstancesCarryRleAndBoxes) {
  SEGX_REQUIRE_FIXTURES();
  auto r =
      run_segx({"infer", "-", "--task", "instance", "--config", config(), "--weights", weights()},
               image() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 2u);
  const auto& anns = recs[1].at("annotations");
  ASSERT_EQ(anns.size(), 20u);  // topk_per_image of the config, no thing filter for instances
  EXPECT_EQ(anns[0].at("segmentation").at("size"), json({480, 640}));
  EXPECT_TRUE(anns[0].at("segmentation").at("counts").is_string());
  EXPECT_EQ(anns[0].at("bbox").size(), 4u);
}

// A small manifest of two fixture images copied into `images_dir`: a header (with `root` when
// given) and records naming the images by `names`.
void write_manifest(const fs::path& manifest, const fs::path& images_dir,
                    const std::vector<std::string>& names, const std::string& root = {}) {
  fs::create_directories(images_dir);
  fs::create_directories(manifest.parent_path());
  json header = {{"type", "header"},
                 {"segx_manifest", 1},
                 {"dataset", "two"},
                 {"categories", json::array({{{"id", 1}, {"name", "a"}, {"isthing", 1}}})}};
  if (!root.empty()) header["root"] = root;
  std::ofstream out(manifest);
  out << header.dump() << '\n';
  for (int i = 0; i < 2; ++i) {
    const auto src = fixtures_root() / "synth/n200/images" / fmt_name(i + 1);
    fs::copy_file(src, images_dir / fs::path(names[i]).filename(),
                  fs::copy_options::overwrite_existing);
    out << json{{"image_id", 100 + i}, {"file_name", names[i]}, {"height", 480}, {"width", 640}}
               .dump()
        << '\n';
  }
}

// What every infer run of these tests asks: no segment kept (the records are what is checked).
std::vector<std::string> quick(std::vector<std::string> a) {
  a.insert(a.end(), {"--config", config(), "--weights", weights(), "--object-mask-threshold", "1"});
  return a;
}

// A manifest file in another folder: relative file names resolve against its folder, as in every
// command that reads manifests; the records name the files read and keep the image ids.
TEST(InferCli, ManifestFileNamesResolveAgainstItsFolder) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_manifest_dir");
  write_manifest(dir / "data/val.jsonl", dir / "data/images", {"images/a.jpg", "images/b.jpg"});
  fs::create_directories(dir / "elsewhere");
  auto r = run_segx(quick({"infer", (dir / "data/val.jsonl").string()}), {}, dir / "elsewhere");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].at("dataset"), "two_pred");
  EXPECT_EQ(recs[1].at("image_id"), 100);
  EXPECT_EQ(recs[1].at("file_name"), (dir / "data/images/a.jpg").string());
  EXPECT_EQ(recs[2].at("file_name"), (dir / "data/images/b.jpg").string());
}

// The header's root: relative to the manifest's folder for a file, to the current folder for
// stdin; the output header drops it (its records name the files as read).
TEST(InferCli, ManifestRootResolvesFileNames) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_manifest_root");
  write_manifest(dir / "lists/val.jsonl", dir / "pics", {"a.jpg", "b.jpg"}, "../pics");
  auto r = run_segx(quick({"infer", (dir / "lists/val.jsonl").string()}), {}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_FALSE(recs[0].contains("root")) << recs[0].dump();
  EXPECT_EQ(recs[1].at("file_name"), (dir / "pics/a.jpg").string());
  // On stdin the same root is taken from the current folder: dir/work/../pics.
  fs::create_directories(dir / "work");
  auto s = run_segx(quick({"infer", "-"}), read_file(dir / "lists/val.jsonl"), dir / "work");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto srecs = lines(s.out);
  ASSERT_EQ(srecs.size(), 3u);
  EXPECT_EQ(srecs[2].at("file_name"), "../pics/b.jpg");
  EXPECT_EQ(srecs[2].at("image_id"), 101);
  // From a folder whose ../pics does not exist the root names nothing: exit 66 naming the file.
  ASSERT_FALSE(fs::exists(dir / "../pics"));
  auto miss = run_segx(quick({"infer", "-"}), read_file(dir / "lists/val.jsonl"), dir);
  EXPECT_EQ(miss.exit_code, 66);
  EXPECT_NE(miss.err.find("pics/a.jpg"), std::string::npos) << miss.err;
}

// stdin: relative file names resolve against the current folder (as `eval pq --gt-manifest -`
// and `vocab apply -` do); a manifest must start with its header, and one manifest at a time.
TEST(InferCli, StdinManifestResolvesAgainstCurrentFolder) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_manifest_stdin");
  write_manifest(dir / "val.jsonl", dir / "images", {"images/a.jpg", "images/b.jpg"});
  auto r = run_segx(quick({"infer", "-"}), read_file(dir / "val.jsonl"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].at("file_name"), "images/a.jpg");
  EXPECT_EQ(recs[1].at("image_id"), 100);
  auto headless =
      run_segx(quick({"infer", "-"}), json{{"file_name", "images/a.jpg"}}.dump() + "\n", dir);
  EXPECT_EQ(headless.exit_code, 65);
  EXPECT_NE(headless.err.find("header"), std::string::npos) << headless.err;
  auto two = run_segx(quick({"infer", (dir / "val.jsonl").string(), "-"}),
                      read_file(dir / "val.jsonl"), dir);
  EXPECT_EQ(two.exit_code, 64);
  EXPECT_NE(two.err.find("one manifest"), std::string::npos) << two.err;
  auto nofile = run_segx(quick({"infer", "-"}),
                         read_file(dir / "val.jsonl") + json{{"image_id", 3}}.dump() + "\n", dir);
  EXPECT_EQ(nofile.exit_code, 65);
  EXPECT_NE(nofile.err.find("line 4"), std::string::npos) << nofile.err;
}

// A run that fails half-way leaves no --out-dir behind (the folder is staged), and no -o file.
TEST(InferCli, FailedRunLeavesNoOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_staged");
  auto r = run_segx(quick({"infer", image(), (dir / "missing.jpg").string(), "--out-dir",
                           (dir / "out").string(), "-o", (dir / "pred.jsonl").string()}));
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "pred.jsonl"));
  for (const auto& e : fs::directory_iterator(dir)) ADD_FAILURE() << "left behind: " << e.path();
}

// Lines of stderr that are not warnings (the fixture configs' removed keys warn).
int error_lines(const std::string& err) {
  std::istringstream in(err);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.find(": warning: ") == std::string::npos;
  return n;
}

std::string oneformer_config() {
  return std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/oneformer_small.json";
}
fs::path clip_bpe() {
  return fixtures_root() / "reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz";
}
// infer with the reference OneFormer on one image, keeping every segment, plus `extra`; run in
// `cwd` when given.
CliResult infer_oneformer(const std::string& cfg, std::vector<std::string> extra,
                          const fs::path& cwd = {}) {
  std::vector<std::string> a = {"infer",
                                image(),
                                "--config",
                                cfg,
                                "--weights",
                                weights("oneformer_small"),
                                "--object-mask-threshold",
                                "0",
                                "--overlap-threshold",
                                "0"};
  a.insert(a.end(), extra.begin(), extra.end());
  return cwd.empty() ? run_segx(a) : run_segx(a, {}, cwd);
}

// OneFormer's task prompt needs CLIP's BPE file: --tokenizer; without it (and without
// oneformer.tokenizer in the config) exit 64 naming what to pass; --vocab still works for this
// release, with one deprecation warning, and gives the same predictions.
TEST(InferCli, OneFormerTokenizerAndDeprecatedVocab) {
  SEGX_REQUIRE_FIXTURES();
  const auto tok = clip_bpe().string();
  auto none = infer_oneformer(oneformer_config(), {});
  EXPECT_EQ(none.exit_code, 64);
  EXPECT_TRUE(none.out.empty()) << none.out;
  EXPECT_NE(none.err.find("needs a tokenizer: pass --tokenizer"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("oneformer.tokenizer"), std::string::npos) << none.err;
  EXPECT_EQ(error_lines(none.err), 1) << none.err;
  auto r = infer_oneformer(oneformer_config(), {"--tokenizer", tok});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("deprecated"), std::string::npos) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_FALSE(recs[1].at("segments_info").empty());
  auto old = infer_oneformer(oneformer_config(), {"--vocab", tok});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  const std::string warning = "--vocab is deprecated, use --tokenizer; it will be removed in 0.2.0";
  const auto at = old.err.find(warning);
  EXPECT_NE(at, std::string::npos) << old.err;
  EXPECT_EQ(old.err.find(warning, at + 1), std::string::npos) << "warned twice: " << old.err;
  EXPECT_EQ(old.out, r.out);
  auto both = infer_oneformer(oneformer_config(), {"--vocab", tok, "--tokenizer", tok});
  EXPECT_EQ(both.exit_code, 64) << both.err;
  EXPECT_NE(both.err.find("--vocab: give --tokenizer only"), std::string::npos) << both.err;
  auto missing = infer_oneformer(oneformer_config(), {"--tokenizer", tok + ".missing"});
  EXPECT_EQ(missing.exit_code, 66) << missing.err;
  EXPECT_NE(missing.err.find(tok + ".missing"), std::string::npos) << missing.err;
}

// Without --tokenizer the model config's oneformer.tokenizer names the BPE file, relative to the
// config file (as `segx train` writes model_config.json: the file copied beside it); --tokenizer
// overrides it.
TEST(InferCli, OneFormerTokenizerDefaultsToTheModelConfigs) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_oneformer_config_tokenizer");
  json cfg = json::parse(read_file(oneformer_config()));
  cfg["oneformer"]["tokenizer"] = "text/bpe.txt.gz";
  fs::create_directories(dir / "run/text");
  fs::copy_file(clip_bpe(), dir / "run/text/bpe.txt.gz");
  std::ofstream(dir / "run/model_config.json") << cfg.dump(2) << '\n';
  fs::create_directories(dir / "elsewhere");
  const auto model_config = (dir / "run/model_config.json").string();

  auto given = infer_oneformer(oneformer_config(), {"--tokenizer", clip_bpe().string()});
  ASSERT_EQ(given.exit_code, 0) << given.err;
  // Run from another folder: the tokenizer path is relative to the config, not the current folder.
  auto from_config = infer_oneformer(model_config, {}, dir / "elsewhere");
  ASSERT_EQ(from_config.exit_code, 0) << from_config.err;
  EXPECT_EQ(from_config.out, given.out);

  // --tokenizer wins over the config's: a config naming a missing file still runs with it.
  cfg["oneformer"]["tokenizer"] = "text/missing.txt.gz";
  std::ofstream(dir / "run/model_config.json") << cfg.dump(2) << '\n';
  auto overridden = infer_oneformer(model_config, {"--tokenizer", clip_bpe().string()});
  ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
  EXPECT_EQ(overridden.out, given.out);
  auto broken = infer_oneformer(model_config, {});
  EXPECT_EQ(broken.exit_code, 66) << broken.err;
  EXPECT_NE(broken.err.find("missing.txt.gz"), std::string::npos) << broken.err;
  EXPECT_TRUE(broken.out.empty()) << broken.out;
}

// A bad line in a manifest file: exit 65, one line naming the file and the line, no output.
TEST(InferCli, BadManifestLineNamesFileAndLine) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_bad_manifest");
  write_manifest(dir / "val.jsonl", dir / "images", {"images/a.jpg", "images/b.jpg"});
  const auto good = read_file(dir / "val.jsonl");
  const auto manifest = (dir / "val.jsonl").string();
  for (const std::string& bad :
       {std::string("{\"image_id\": 3, \"file_name\": "), json{{"image_id", 3}}.dump()}) {
    std::ofstream(dir / "val.jsonl") << good << bad << '\n';
    auto r = run_segx(quick({"infer", manifest, "-o", (dir / "pred.jsonl").string()}));
    EXPECT_EQ(r.exit_code, 65) << r.err;
    EXPECT_NE(r.err.find(manifest), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("line 4"), std::string::npos) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "pred.jsonl"));
  }
}

TEST(InferCli, BadInputsGiveDocumentedExitCodes) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_bad");
  auto common = [&](std::vector<std::string> a) {
    a.insert(a.end(), {"--config", config(), "--weights", weights()});
    return run_segx(a);
  };
  EXPECT_EQ(common({"infer", (dir / "none.jpg").string()}).exit_code, 66);
  std::ofstream(dir / "text.jpg") << "not an image";
  auto r = common({"infer", (dir / "text.jpg").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("text.jpg"), std::string::npos) << r.err;
  cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(1000, 2000, 3000));
  cv::imwrite((dir / "deep.png").string(), deep);
  r = common({"infer", (dir / "deep.png").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("16-bit"), std::string::npos) << r.err;
  r = run_segx({"infer", image(), "--config", config(), "--weights", weights("oneformer_small")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("query_feat"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace segx::test
