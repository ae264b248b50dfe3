// segx infer: run a Mask2Former/OneFormer checkpoint on images; JSON Lines records on stdout,
// optionally COCO panoptic JSON + PNGs, semantic PNGs and COCO results JSON in --out-dir.
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/infer/predictor.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/rle.hpp"

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

bool is_image_name(const fs::path& p) {
  auto e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp" || e == ".tif" ||
         e == ".tiff" || e == ".webp";
}

// One image to predict. Images named by a manifest record keep the record's image_id, so the
// predictions pair with that manifest's ground truth in `segx eval`.
struct InputImage {
  std::string file;
  json image_id;  // the record's image_id; null: the file's stem
};

struct Inputs {
  std::vector<InputImage> images;
  json header;  // the stdin manifest's header record, when it had one
};

// Files, directories (their images, sorted) and "-" (a manifest on stdin: JSON Lines records
// with file_name, or one path per line).
Inputs expand_inputs(const std::vector<std::string>& inputs) {
  Inputs out;
  for (const auto& in : inputs) {
    if (in == "-") {
      std::string line;
      std::size_t number = 0;
      while (std::getline(std::cin, line)) {
        ++number;
        if (line.empty()) continue;
        if (line[0] == '{') {
          auto j = json::parse(line, nullptr, false);
          if (j.is_discarded() || !j.is_object())
            fail(ErrorKind::DataError, "stdin line {}: a manifest line is not a JSON object",
                 number);
          if (j.value("type", "") == "header") {
            out.header = std::move(j);
          } else if (j.contains("file_name") && j["file_name"].is_string()) {
            out.images.push_back({j["file_name"].get<std::string>(),
                                  j.contains("image_id") ? j["image_id"] : json()});
          } else {
            fail(ErrorKind::DataError, "stdin line {}: a manifest record without file_name",
                 number);
          }
        } else {
          out.images.push_back({line, json()});
        }
      }
    } else if (fs::is_directory(in)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in))
        if (e.is_regular_file() && is_image_name(e.path())) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      for (auto& f : found) out.images.push_back({std::move(f), json()});
    } else {
      out.images.push_back({in, json()});
    }
  }
  return out;
}

// The header of the output manifest: the input manifest's (its categories are the ids the
// model was trained on, and `segx eval` pairs the two), else one naming the model's classes.
json output_header(const Inputs& inputs, const infer::Predictor& predictor) {
  if (!inputs.header.is_null()) {
    json h = inputs.header;
    h["dataset"] = h.value("dataset", std::string("segx")) + "_pred";
    return h;
  }
  json cats = json::array();
  for (const auto& c : predictor.categories())
    cats.push_back({{"id", c.id}, {"name", c.name}, {"isthing", c.isthing ? 1 : 0}});
  return {{"type", "header"}, {"segx_manifest", 1}, {"dataset", "segx_infer"},
          {"categories", cats}};
}

// COCO panoptic categories for panoptic.json: the header's.
json coco_categories(const json& header) {
  json cats = json::array();
  for (const auto& c : header.at("categories")) {
    json x = {{"id", c.at("id")}, {"name", c.value("name", std::string())},
              {"isthing", c.value("isthing", 0)}};
    if (c.contains("supercategory")) x["supercategory"] = c["supercategory"];
    if (c.contains("color")) x["color"] = c["color"];
    cats.push_back(std::move(x));
  }
  return cats;
}

// 8-bit RGB, as detectron2's read_image(format="RGB"): grayscale is replicated, alpha dropped
// (both with a warning); other bit depths are refused.
infer::RgbImage load_rgb(const std::string& path) {
  if (!fs::exists(path)) fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory", path);
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) fail(ErrorKind::DataError, "'{}': not a readable image", path);
  if (m.depth() != CV_8U)
    fail(ErrorKind::DataError, "'{}': {}-bit images are not supported (8-bit RGB expected)", path,
         m.depth() == CV_16U ? 16 : 32);
  cv::Mat rgb;
  switch (m.channels()) {
    case 1:
      log::warn("'{}': grayscale image, replicated to RGB", path);
      cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3: cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB); break;
    case 4:
      log::warn("'{}': alpha channel ignored", path);
      cv::cvtColor(m, rgb, cv::COLOR_BGRA2RGB);
      break;
    default: fail(ErrorKind::DataError, "'{}': {} channels (RGB expected)", path, m.channels());
  }
  infer::RgbImage im;
  im.width = rgb.cols;
  im.height = rgb.rows;
  im.data.assign(rgb.data, rgb.data + rgb.total() * 3);
  return im;
}

json instance_json(const infer::PredictedInstance& ins, int h, int w) {
  auto rle = mask::encode_row_major(ins.mask.data(), static_cast<uint32_t>(h),
                                    static_cast<uint32_t>(w));
  auto box = mask::to_bbox(rle);
  return {{"category_id", ins.category_id},
          {"score", ins.score},
          {"bbox", {box[0], box[1], box[2], box[3]}},
          {"segmentation", {{"size", {h, w}}, {"counts", mask::to_string(rle)}}}};
}

int run_infer(const InferOptions& o) {
  const auto inputs = expand_inputs(o.inputs);
  const auto& files = inputs.images;
  if (files.empty()) fail(ErrorKind::Usage, "no input images");
  if (o.batch_size < 1) fail(ErrorKind::Usage, "--batch-size must be >= 1");
  infer::Predictor predictor(o.predictor);
  const auto& task = o.predictor.task;
  if (!o.out_dir.empty()) {
    io::prepare_output_dir(o.out_dir, o.overwrite);
    if (task != "instance") fs::create_directories(fs::path(o.out_dir) / task);
  }
  io::AtomicOutput out(o.output);
  const json header = output_header(inputs, predictor);
  out.stream() << header.dump() << '\n';
  json panoptic_images = json::array(), panoptic_annotations = json::array(),
       results = json::array();
  for (std::size_t start = 0; start < files.size(); start += o.batch_size) {
    std::vector<infer::RgbImage> batch;
    const auto end = std::min(files.size(), start + static_cast<std::size_t>(o.batch_size));
    for (std::size_t i = start; i < end; ++i) batch.push_back(load_rgb(files[i].file));
    auto preds = predictor.predict(batch);
    for (std::size_t k = 0; k < preds.size(); ++k) {
      const auto& p = preds[k];
      const auto& file = files[start + k].file;
      const auto stem = fs::path(file).stem().string();
      const json image_id = files[start + k].image_id.is_null() ? json(stem)
                                                                : files[start + k].image_id;
      json rec = {{"type", "image"}, {"image_id", image_id}, {"file_name", file},
                  {"height", p.height}, {"width", p.width}};
      if (task == "panoptic") {
        json segs = json::array();
        for (const auto& s : p.segments)
          segs.push_back({{"id", s.id}, {"category_id", s.category_id}, {"iscrowd", 0},
                          {"isthing", s.isthing}, {"score", s.score}, {"area", s.area}});
        // The records carry each segment as COCO RLE too: `segx eval pq` reads them without
        // any PNG (and without --out-dir there is none).
        json rec_segs = segs;
        const auto masks = mask::encode_labels(p.panoptic.data(), static_cast<uint32_t>(p.height),
                                               static_cast<uint32_t>(p.width));
        for (auto& seg : rec_segs) {
          const auto id = seg.at("id").get<std::uint32_t>();
          auto it = std::lower_bound(masks.begin(), masks.end(), id,
                                     [](const auto& m, std::uint32_t v) { return m.first < v; });
          if (it != masks.end() && it->first == id)  // encode_labels sorts by id
            seg["segmentation"] = {{"size", {p.height, p.width}},
                                   {"counts", mask::to_string(it->second)}};
        }
        rec["segments_info"] = rec_segs;
        if (!o.out_dir.empty()) {
          auto png = stem + ".png";
          io::write_panoptic_png((fs::path(o.out_dir) / task / png).string(), p.width, p.height,
                                 p.panoptic.data());
          rec["pan_seg_file_name"] = (fs::path(o.out_dir) / task / png).string();
          panoptic_images.push_back({{"id", image_id}, {"file_name", fs::path(file).filename()},
                                     {"height", p.height}, {"width", p.width}});
          panoptic_annotations.push_back(
              {{"image_id", image_id}, {"file_name", png}, {"segments_info", segs}});
        }
      } else if (task == "semantic" && !o.out_dir.empty()) {
        io::Image im;
        im.width = p.width;
        im.height = p.height;
        im.channels = 1;
        bool wide = false;
        for (auto v : p.semantic) wide |= v > 255;
        im.bit_depth = wide ? 16 : 8;
        im.data.resize(p.semantic.size() * (wide ? 2 : 1));
        for (std::size_t i = 0; i < p.semantic.size(); ++i) {
          if (wide)
            im.data16()[i] = p.semantic[i];
          else
            im.data[i] = static_cast<uint8_t>(p.semantic[i]);
        }
        auto path = (fs::path(o.out_dir) / task / (stem + ".png")).string();
        io::write_png(path, im);
        rec["sem_seg_file_name"] = path;
      } else if (task == "instance") {
        json anns = json::array();
        for (const auto& ins : p.instances) {
          auto a = instance_json(ins, p.height, p.width);
          anns.push_back(a);
          a["image_id"] = image_id;
          results.push_back(a);
        }
        rec["annotations"] = anns;
      }
      out.stream() << rec.dump() << '\n';
    }
    log::info("{} / {} images", end, files.size());
  }
  if (!o.out_dir.empty() && task == "panoptic")
    io::write_file_atomic((fs::path(o.out_dir) / "panoptic.json").string(),
                          json{{"images", panoptic_images},
                               {"annotations", panoptic_annotations},
                               {"categories", coco_categories(header)}}
                                  .dump() +
                              "\n");
  if (!o.out_dir.empty() && task == "instance")
    io::write_file_atomic((fs::path(o.out_dir) / "results.json").string(), results.dump() + "\n");
  out.commit();
  return 0;
}

}  // namespace

Runner setup_infer(CLI::App& app) {
  auto o = std::make_shared<InferOptions>();
  app.add_option("inputs", o->inputs, "images, folders of images, or '-' (manifest on stdin)")
      ->required();
  app.add_option("--config", o->predictor.config, "segx JSON model config")->required();
  app.add_option("--weights", o->predictor.weights, "model weights (safetensors)")->required();
  app.add_option("--vocab", o->predictor.vocab,
                 "CLIP BPE vocabulary bpe_simple_vocab_16e6.txt.gz (OneFormer)");
  app.add_option("--task", o->predictor.task, "what to predict")
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
                 "write PNGs and panoptic.json / results.json into this folder");
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  return [o]() { return run_infer(*o); };
}

}  // namespace segx::cli
