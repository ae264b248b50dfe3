// segx infer: run a Mask2Former/OneFormer checkpoint on images; JSON Lines records on stdout,
// optionally COCO panoptic JSON + PNGs, semantic PNGs and COCO results JSON in --out-dir
// (infer::collect_input_images reads the inputs, infer::PredictionWriter writes the outputs).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "command.hpp"
#include "deprecated.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/infer/input_images.hpp"
#include "segx/infer/prediction_writer.hpp"
#include "segx/infer/predictor.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/stream.hpp"

namespace segx::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct InferOptions {
  std::vector<std::string> inputs;
  infer::PredictorOptions predictor;
  int batch_size = 1;
  std::string output = "-";
  std::string out_dir;
  bool overwrite = false;
};

int run_infer(const InferOptions& o) {
  const auto inputs = infer::collect_input_images(o.inputs);
  const auto& files = inputs.images;
  if (files.empty()) fail(ErrorKind::Usage, "no input images");
  if (o.batch_size < 1) fail(ErrorKind::Usage, "--batch-size must be >= 1");
  // Output names keep the inputs' folders apart (cam0/1.jpg, cam1/1.jpg); any two inputs that
  // would still write one file are refused before anything is predicted or written.
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.file);
  const auto stems = io::relative_output_stems(paths);
  if (!o.out_dir.empty()) {
    io::OutputNames names;
    for (std::size_t i = 0; i < files.size(); ++i)
      names.claim(stems[i] + ".png", "'" + files[i].file + "'");
  }
  infer::Predictor predictor(o.predictor);
  io::AtomicOutput out(o.output);
  infer::PredictionWriter writer(out.stream(),
                                 infer::prediction_header(inputs.header, predictor.categories()),
                                 {o.predictor.task, o.out_dir, o.overwrite});
  for (std::size_t start = 0; start < files.size(); start += o.batch_size) {
    std::vector<infer::RgbImage> batch;
    const auto end = std::min(files.size(), start + static_cast<std::size_t>(o.batch_size));
    for (std::size_t i = start; i < end; ++i) batch.push_back(infer::read_rgb_image(files[i].file));
    auto preds = predictor.predict(batch);
    for (std::size_t k = 0; k < preds.size(); ++k) {
      const auto& in = files[start + k];
      writer.write(preds[k], in.file,
                   in.image_id.is_null() ? json(stems[start + k]) : in.image_id,
                   stems[start + k]);
    }
    log::info("{} / {} images", end, files.size());
  }
  writer.finish();
  out.commit();
  return 0;
}

}  // namespace

Runner setup_infer(CLI::App& app) {
  auto o = std::make_shared<InferOptions>();
  app.add_option("inputs", o->inputs,
                 "images, folders of images, segx manifests (.jsonl; file names resolve against "
                 "the header's root, else the manifest's folder), or '-': a manifest on stdin "
                 "(relative to the current folder) or one image path per line")
      ->required();
  app.add_option("--config", o->predictor.config, "segx JSON model config")->required();
  app.add_option("--weights", o->predictor.weights, "model weights (safetensors)")->required();
  add_deprecated_alias(
      app, "--vocab", o->predictor.tokenizer,
      app.add_option("--tokenizer", o->predictor.tokenizer,
                     "CLIP's BPE file bpe_simple_vocab_16e6.txt.gz for OneFormer's task prompt "
                     "(default: the model config's oneformer.tokenizer, which segx train sets; not read "
                     "with oneformer.task_embedding learned)"));
  app.add_option("--task", o->predictor.task,
                 "what to predict (a maskformer model has no instance inference: instance exits "
                 "64)")
      ->check(CLI::IsMember({"panoptic", "instance", "semantic"}))
      ->capture_default_str();
  app.add_option("--device", o->predictor.device, "cpu or cuda (exit 69 without CUDA)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("-j,--threads", o->predictor.threads, "LibTorch threads (0: default)")
      ->capture_default_str();
  app.add_option("--batch-size", o->batch_size, "images per forward pass")->capture_default_str();
  app.add_option("--object-mask-threshold", o->predictor.object_mask_threshold,
                 "keep queries above this class probability (default: the config's)");
  app.add_option("--overlap-threshold", o->predictor.overlap_threshold,
                 "minimum visible fraction of a segment's mask (default: the config's)");
  app.add_option("-o,--output", o->output,
                 "segx manifest of the predictions to write ('-': stdout): a header (the input "
                 "manifest's, else the model's classes), then one record per image keeping the "
                 "input record's image_id, so `segx infer - < gt.jsonl | segx eval pq "
                 "--gt-manifest gt.jsonl --pred-manifest -` pairs them")
      ->capture_default_str();
  app.add_option("--out-dir", o->out_dir,
                 "write PNGs and panoptic.json / results.json into this folder; PNGs are named after "
                 "the images, keeping their folders below the folder that holds them all "
                 "(cam0/1.jpg, cam1/1.jpg -> cam0/1.png, cam1/1.png)");
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  return [o]() { return run_infer(*o); };
}

}  // namespace segx::cli
