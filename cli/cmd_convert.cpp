// `segx convert`: dataset format conversions, the synthetic generator and lint, one nested
// subcommand each; the work is done by lib/segx/dataset.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "command.hpp"
#include "deprecated.hpp"
#include "nested.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/dataset/ade20k.hpp"
#include "segx/dataset/cityscapes.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/derive.hpp"
#include "segx/dataset/instances_to_panoptic.hpp"
#include "segx/dataset/lint.hpp"
#include "segx/dataset/manifest_convert.hpp"
#include "segx/dataset/panoptic_convert.hpp"
#include "segx/dataset/results_writer.hpp"
#include "segx/dataset/synth.hpp"
#include "segx/io/stream.hpp"

namespace segx::cli {
namespace {

void add_threads(CLI::App& app, int& threads) {
  app.add_option("-j,--threads", threads, "worker threads (0: all cores)")->capture_default_str();
}

// --scheme: the semantic PNG id scheme, spelled as on every command line (panoptic-fpn).
void add_scheme_option(CLI::App& app, std::string& scheme, const std::string& help) {
  app.add_option("--scheme", scheme, help)
      ->transform(deprecated_value("--scheme", "panoptic_fpn", "panoptic-fpn"))
      ->check(CLI::IsMember({"category", "contiguous", "panoptic-fpn"}))
      ->capture_default_str();
}

// The output file of a converter that also fills a folder: -o/--output, formerly --out-json.
void add_output_json(CLI::App& app, std::string& path, const std::string& help) {
  add_deprecated_alias(app, "--out-json", path, app.add_option("-o,--output", path, help));
}

void require_output(const std::string& value, const char* what) {
  if (value.empty()) fail(ErrorKind::Usage, "{} is required", what);
}

void add_png_dir(CLI::App& app, std::string& dir) {
  app.add_option("--png-dir", dir, "folder of the panoptic PNGs (default: the JSON path without .json)");
}

// An optional categories file (panopticapi's --categories_json_file): a JSON list of categories.
struct CategoriesFile {
  dataset::JsonDocument doc;
  dataset::CategorySet set;
  bool loaded = false;
  void load(const std::string& path) {
    if (path.empty()) return;
    doc = dataset::read_json_file(path);
    const dataset::JsonValue* list = &doc;
    if (doc.IsObject()) list = &dataset::member(doc, "categories", "'" + path + "'");
    set = dataset::CategorySet::from_json(*list, "'" + path + "'");
    loaded = true;
  }
  const dataset::JsonValue* json() const {
    if (!loaded) return nullptr;
    return doc.IsObject() ? dataset::find_member(doc, "categories") : &doc;
  }
};

Runner setup_panoptic2instances(CLI::App& app) {
  struct Options {
    std::string input, png_dir, categories, output = "-";
    bool things_only = false;
    int64_t id_start = 0;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "COCO panoptic JSON")->required();
  add_png_dir(app, o->png_dir);
  app.add_option("--categories", o->categories,
                 "categories JSON deciding isthing for --things-only (default: the input's)");
  app.add_flag("--things-only", o->things_only, "keep thing segments only, and thing categories");
  app.add_option("--id-start", o->id_start,
                 "first annotation id; panopticapi uses 0, but COCOeval never matches an id of 0, "
                 "so use 1 for evaluation")->capture_default_str();
  app.add_option("-o,--output", o->output, "COCO instances JSON to write ('-': stdout)")->capture_default_str();
  add_threads(app, o->threads);
  app.footer("Same annotations, RLE strings, bbox, area and ids as panopticapi's\n"
             "converters/panoptic2detection_coco_format.py.");
  return [o]() {
    auto in = dataset::CocoPanoptic::read(o->input, o->png_dir);
    CategoriesFile cats;
    cats.load(o->categories);
    dataset::PanopticToInstancesOptions opt;
    opt.things_only = o->things_only;
    opt.id_start = o->id_start;
    opt.threads = o->threads;
    if (cats.loaded) opt.categories = &cats.set;
    io::AtomicOutput out(o->output);
    dataset::panoptic_to_instances(in, opt, out.stream());
    out.commit();
    return 0;
  };
}

Runner setup_panoptic2results(CLI::App& app) {
  struct Options {
    std::string input, png_dir, output = "-";
    dataset::ResultsOptions results;
    double default_score = -1;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input,
                 "COCO panoptic prediction JSON, or a segx manifest (.jsonl) of predictions")
      ->required();
  add_png_dir(app, o->png_dir);
  app.add_flag("--things-only", o->results.things_only,
               "results for thing categories only (what instance AP evaluates)");
  app.add_flag("--bbox", o->results.bbox,
               "also write each mask's box (pycocotools then takes segm areas from the box)");
  app.add_option("--min-score", o->results.min_score, "drop segments scored below this")
      ->capture_default_str();
  app.add_option("--default-score", o->default_score,
                 "score of segments without one (default: such segments are an error)");
  app.add_option("-o,--output", o->output, "COCO results JSON to write ('-': stdout)")
      ->capture_default_str();
  add_threads(app, o->results.threads);
  app.footer("One result per scored segment: image_id, category_id, RLE segmentation, score.");
  return [o]() {
    if (o->default_score >= 0) o->results.default_score = o->default_score;
    const std::string ext = std::filesystem::path(o->input).extension().string();
    const bool manifest = ext == ".jsonl" || ext == ".ndjson" || o->input == "-";
    if (manifest && !o->png_dir.empty())
      fail(ErrorKind::Usage, "--png-dir belongs to COCO panoptic input, not to a manifest");
    // Read (and fail) before the output is opened: a bad input leaves no file behind.
    std::optional<dataset::CocoPanoptic> in;
    if (!manifest) in = dataset::CocoPanoptic::read(o->input, o->png_dir);
    io::AtomicOutput out(o->output);
    if (manifest)
      dataset::manifest_to_results(o->input, o->results, out.stream());
    else
      dataset::panoptic_to_results(*in, o->results, out.stream());
    out.commit();
    return 0;
  };
}

Runner setup_panoptic2semantic(CLI::App& app) {
  struct Options {
    std::string input, png_dir, categories, scheme = "category", out_dir, json;
    bool overwrite = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "COCO panoptic JSON")->required();
  add_png_dir(app, o->png_dir);
  app.add_option("--categories", o->categories, "categories JSON giving the label space (default: the input's)");
  add_scheme_option(app, o->scheme,
                    "PNG id scheme: category (raw ids, 0 unlabeled), contiguous (list position, "
                    "255 ignore), panoptic-fpn (things 0, stuff 1..N, 255 unlabeled)");
  auto* dir = app.add_option("--out-dir", o->out_dir, "write one semantic PNG per image into this folder");
  auto* json = app.add_option("--json", o->json,
                              "write panopticapi's COCO-JSON semantic format instead ('-': stdout)");
  dir->excludes(json);
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  add_threads(app, o->threads);
  return [o]() {
    if (o->out_dir.empty() == o->json.empty())
      fail(ErrorKind::Usage, "give one of --out-dir and --json");
    auto in = dataset::CocoPanoptic::read(o->input, o->png_dir);
    CategoriesFile cats;
    cats.load(o->categories);
    dataset::PanopticToSemanticOptions opt;
    opt.scheme = dataset::parse_semantic_scheme(o->scheme);
    opt.threads = o->threads;
    opt.overwrite = o->overwrite;
    if (cats.loaded) opt.categories = &cats.set, opt.categories_json = cats.json();
    if (!o->json.empty()) {
      io::AtomicOutput out(o->json);
      dataset::panoptic_to_semantic_json(in, opt, out.stream());
      out.commit();
    } else {
      dataset::panoptic_to_semantic_pngs(in, opt, o->out_dir);
    }
    return 0;
  };
}

Runner setup_instances2panoptic(CLI::App& app) {
  struct Options {
    std::string input, images, out_json, out_dir, overlap = "error";
    double min_score = 0;
    bool overwrite = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "COCO instances JSON, or a COCO results list with --images")->required();
  app.add_option("--images", o->images, "COCO JSON whose images and categories to use (for results lists)");
  add_output_json(app, o->out_json, "COCO panoptic JSON to write");
  app.add_option("--out-dir", o->out_dir, "folder for the panoptic PNGs")->required();
  app.add_option("--overlap", o->overlap,
                 "overlapping masks: error (fail), skip (earlier keeps pixels), score (higher "
                 "score keeps), larger or smaller (that mask keeps)")
      ->check(CLI::IsMember({"error", "skip", "score", "larger", "smaller"}))
      ->capture_default_str();
  app.add_option("--min-score", o->min_score, "drop results scored below this")->capture_default_str();
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  add_threads(app, o->threads);
  return [o]() {
    require_output(o->out_json, "-o/--output (the COCO panoptic JSON)");
    auto in = dataset::CocoInstances::read(o->input);
    std::unique_ptr<dataset::CocoInstances> images;
    if (!o->images.empty()) images = std::make_unique<dataset::CocoInstances>(dataset::CocoInstances::read(o->images));
    else if (in.is_results) fail(ErrorKind::Usage, "'{}' is a results list: give --images with the image sizes", o->input);
    dataset::InstancesToPanopticOptions opt;
    opt.overlap = dataset::parse_overlap_policy(o->overlap);
    opt.min_score = o->min_score;
    opt.overwrite = o->overwrite;
    opt.threads = o->threads;
    dataset::instances_to_panoptic(in, images ? *images : in, opt, o->out_json, o->out_dir);
    return 0;
  };
}

Runner setup_synth(CLI::App& app) {
  struct Options {
    dataset::SynthOptions synth;
    std::string out;
    bool no_images = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("--images", o->synth.images, "number of images")->capture_default_str();
  add_deprecated_alias(app, "--out", o->out, app.add_option("--out-dir", o->out, "output folder"));
  app.add_option("--seed", o->synth.seed, "random seed (same seed, same dataset)")->capture_default_str();
  app.add_option("--width", o->synth.width, "image width")->capture_default_str();
  app.add_option("--height", o->synth.height, "image height")->capture_default_str();
  app.add_flag("--predictions", o->synth.predictions, "also write perturbed predictions with scores");
  app.add_flag("--no-images", o->no_images, "skip the RGB images (label-only benchmarks)");
  app.add_flag("--overwrite", o->synth.overwrite, "write into a non-empty folder");
  add_threads(app, o->synth.threads);
  app.footer("Writes categories.json, images/, panoptic_gt.json + panoptic_gt/, manifest.jsonl and\n"
             "with --predictions panoptic_pred.json + panoptic_pred/.");
  return [o]() {
    require_output(o->out, "--out-dir");
    o->synth.rgb_images = !o->no_images;
    dataset::generate_synth(o->synth, o->out);
    return 0;
  };
}

Runner setup_lint(CLI::App& app) {
  struct Options {
    std::string input, png_dir, images;
    bool json = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "COCO panoptic JSON, COCO instances/results JSON or segx manifest")->required();
  add_png_dir(app, o->png_dir);
  app.add_flag("--json", o->json, "write the findings as JSON on stdout");
  add_threads(app, o->threads);
  app.footer("Exit status 0 when clean, 1 with findings.");
  return [o]() {
    auto report = dataset::lint_path(o->input, o->png_dir, o->threads);
    if (o->json) dataset::write_lint_json(report, std::cout);
    else dataset::write_lint_text(report, std::cout);
    return report.findings.empty() ? 0 : exit_code(ErrorKind::Negative);
  };
}

Runner setup_cityscapes(CLI::App& app) {
  struct Options {
    std::string root, split = "val", to = "manifest", output, out_dir;
    bool train_ids = false, overwrite = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("root", o->root, "Cityscapes root (with leftImg8bit/ and gtFine/)")->required();
  app.add_option("--split", o->split, "split folder name")->capture_default_str();
  app.add_option("--to", o->to, "manifest (JSON Lines) or coco-panoptic (as cityscapesScripts createPanopticImgs)")
      ->check(CLI::IsMember({"manifest", "coco-panoptic"}))->capture_default_str();
  add_output_json(app, o->output,
                  "the manifest to write (default '-': stdout), or with --to coco-panoptic the "
                  "COCO panoptic JSON");
  app.add_option("--out-dir", o->out_dir, "panoptic PNG folder (--to coco-panoptic)");
  app.add_flag("--train-ids", o->train_ids, "use the 19 train ids as category ids instead of the 34 label ids");
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  add_threads(app, o->threads);
  return [o]() {
    dataset::CityscapesOptions opt;
    opt.split = o->split;
    opt.train_ids = o->train_ids;
    opt.threads = o->threads;
    opt.overwrite = o->overwrite;
    if (o->to == "manifest") {
      // A manifest points at the dataset's own label PNGs: there is no folder to fill.
      if (!o->out_dir.empty())
        fail(ErrorKind::Usage, "--out-dir is for --to coco-panoptic; a manifest names the "
                               "dataset's own PNGs");
      if (o->overwrite)
        fail(ErrorKind::Usage, "--overwrite is for --to coco-panoptic's --out-dir; a manifest "
                               "named by -o is always replaced");
      io::AtomicOutput out(o->output.empty() ? "-" : o->output);
      dataset::cityscapes_to_manifest(o->root, opt, out.stream());
      out.commit();
    } else {
      if (o->output.empty() || o->out_dir.empty())
        fail(ErrorKind::Usage,
             "--to coco-panoptic needs -o FILE (the JSON) and --out-dir DIR (the PNGs)");
      dataset::cityscapes_to_coco_panoptic(o->root, opt, o->output, o->out_dir);
    }
    return 0;
  };
}

Runner setup_ade20k(CLI::App& app) {
  struct Options {
    std::string root, split = "validation", output = "-";
    bool reduce_zero_label = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("root", o->root, "ADEChallengeData2016 folder (images/ and annotations/)")->required();
  app.add_option("--split", o->split, "training or validation")->capture_default_str();
  app.add_flag("--reduce-zero-label", o->reduce_zero_label,
               "record that label 0 (other) is ignored and 1..150 map to 0..149 (contiguous ids)");
  app.add_option("-o,--output", o->output, "manifest to write ('-': stdout)")->capture_default_str();
  return [o]() {
    io::AtomicOutput out(o->output);
    dataset::ade20k_to_manifest(o->root, o->split, o->reduce_zero_label, out.stream());
    out.commit();
    return 0;
  };
}

Runner setup_semantic_folder(CLI::App& app) {
  struct Options {
    std::string images, labels, categories, scheme = "category", output = "-", name = "semantic";
  };
  auto o = std::make_shared<Options>();
  app.add_option("--images", o->images, "folder of images")->required();
  app.add_option("--labels", o->labels, "folder of label PNGs with the same stems")->required();
  app.add_option("--categories", o->categories, "categories JSON (list with id and name)")->required();
  add_scheme_option(app, o->scheme, "id scheme of the PNGs: category, contiguous or panoptic-fpn");
  app.add_option("--name", o->name, "dataset name for the header")->capture_default_str();
  app.add_option("-o,--output", o->output, "manifest to write ('-': stdout)")->capture_default_str();
  return [o]() {
    CategoriesFile cats;
    cats.load(o->categories);
    io::AtomicOutput out(o->output);
    // The manifest header spells it as the format does (segx-manifest(5): "panoptic_fpn").
    const std::string ids = dataset::to_string(dataset::parse_semantic_scheme(o->scheme));
    dataset::semantic_folder_to_manifest(o->images, o->labels, cats.set, ids, o->name, out.stream());
    out.commit();
    return 0;
  };
}

Runner setup_panoptic2manifest(CLI::App& app) {
  struct Options {
    std::string input, png_dir, images_dir, output = "-", name;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "COCO panoptic JSON")->required();
  add_png_dir(app, o->png_dir);
  app.add_option("--images-dir", o->images_dir, "folder of the RGB images (default: none, file names as given)");
  app.add_option("--name", o->name, "dataset name (default: the JSON file's stem)");
  app.add_option("-o,--output", o->output, "manifest to write ('-': stdout)")->capture_default_str();
  return [o]() {
    auto in = dataset::CocoPanoptic::read(o->input, o->png_dir);
    io::AtomicOutput out(o->output);
    dataset::coco_panoptic_to_manifest(in, o->images_dir, o->name, out.stream());
    out.commit();
    return 0;
  };
}

Runner setup_manifest2panoptic(CLI::App& app) {
  struct Options {
    std::string input = "-", out_json, out_dir;
    bool overwrite = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "segx manifest ('-': stdin)")->capture_default_str();
  add_output_json(app, o->out_json, "COCO panoptic JSON to write");
  app.add_option("--out-dir", o->out_dir, "folder receiving copies of the panoptic PNGs")->required();
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  return [o]() {
    require_output(o->out_json, "-o/--output (the COCO panoptic JSON)");
    dataset::manifest_to_coco_panoptic(o->input, o->out_json, o->out_dir, o->overwrite);
    return 0;
  };
}

Runner setup_derive(CLI::App& app) {
  struct Options {
    std::string input = "-", to, slice, keep_classes, rename, name, output = "-", out_dir;
    bool overwrite = false;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "segx manifest of panoptic records ('-': stdin)")
      ->capture_default_str();
  app.add_option("--to", o->to,
                 "what the records keep: panoptic (segments, PNGs rewritten), semantic (label "
                 "PNGs of category ids, 0 unlabeled), instances (thing annotations with RLE "
                 "masks) or boxes (thing annotations, boxes only)")
      ->check(CLI::IsMember({"panoptic", "semantic", "instances", "boxes"}))
      ->required();
  app.add_option("--slice", o->slice,
                 "records A:B by position, 0-based, B excluded, as a training config's \"slice\": "
                 "[A, B] (negative values count from the end of a file input; default: all)");
  app.add_option("--keep-classes", o->keep_classes,
                 "category ids to keep, e.g. 1-5,8,12; every other class becomes unlabeled "
                 "(semantic 0, panoptic void, no annotation) and leaves the header");
  app.add_option("--rename", o->rename,
                 "JSON table of new ids and names: {\"renames\": [{\"from\": 3, \"id\": 103, "
                 "\"name\": \"automobile\"}, ...]} (\"id\" or \"name\" may be left out); "
                 "unlisted classes keep theirs");
  app.add_option("--name", o->name, "dataset name for the header (default: the input's + _KIND)");
  app.add_option("-o,--output", o->output,
                 "manifest to write ('-': stdout); its paths are relative to its folder, "
                 "absolute on stdout")
      ->capture_default_str();
  app.add_option("--out-dir", o->out_dir,
                 "folder for the label PNGs (semantic and panoptic, required there)");
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  add_threads(app, o->threads);
  app.footer(
      "Weaker supervision from a panoptic dataset, as DaTaSeg co-trains on: semantic-only,\n"
      "instance-only or boxes-only records, of some records and some classes. Instances and\n"
      "boxes keep thing classes only (the header lists those). A COCO panoptic JSON goes\n"
      "through panoptic2manifest first:\n"
      "  segx convert panoptic2manifest pan.json | segx convert derive - --to boxes -o b.jsonl\n"
      "Exit 64 for a bad --slice/--keep-classes or a slice past the records, 65 for a record\n"
      "that is not panoptic or disagrees with its PNG or header, 78 for --keep-classes or\n"
      "--rename entries that do not fit the header (an unknown id, two classes on one id).");
  return [o]() {
    dataset::DeriveOptions opt;
    opt.kind = dataset::parse_derived_kind(o->to);
    if (!o->slice.empty()) opt.slice = dataset::parse_record_slice(o->slice);
    if (!o->keep_classes.empty())
      opt.keep_classes = dataset::parse_class_selection(o->keep_classes);
    if (!o->rename.empty()) opt.renames = dataset::read_rename_table(o->rename);
    opt.name = o->name;
    opt.out_dir = o->out_dir;
    opt.overwrite = o->overwrite;
    opt.threads = o->threads;
    dataset::derive_manifest(o->input, o->output, opt);
    return 0;
  };
}

}  // namespace

Runner setup_convert(CLI::App& app) {
  app.footer("Outputs are written atomically; output folders must be empty unless --overwrite.");
  return add_nested_commands(app, {
      {"panoptic2instances", "COCO panoptic -> COCO instances (RLE), as panopticapi", setup_panoptic2instances},
      {"panoptic2results", "COCO panoptic or manifest predictions -> COCO results JSON (RLE + score)", setup_panoptic2results},
      {"panoptic2semantic", "COCO panoptic -> semantic PNGs or COCO-JSON semantic", setup_panoptic2semantic},
      {"instances2panoptic", "COCO instances/results -> COCO panoptic with an overlap policy", setup_instances2panoptic},
      {"panoptic2manifest", "COCO panoptic -> segx manifest", setup_panoptic2manifest},
      {"manifest2panoptic", "segx manifest -> COCO panoptic", setup_manifest2panoptic},
      {"derive", "panoptic manifest -> semantic-, instance- or boxes-only; slices, classes, renames", setup_derive},
      {"cityscapes", "Cityscapes gtFine layout -> segx manifest or COCO panoptic", setup_cityscapes},
      {"ade20k", "ADE20K scene parsing (ADEChallengeData2016) -> segx manifest", setup_ade20k},
      {"semantic-folder", "folders of images and label PNGs -> segx manifest", setup_semantic_folder},
      {"synth", "generate a synthetic panoptic dataset (any size, deterministic)", setup_synth},
      {"lint", "check annotations against pixels; exit 1 with findings", setup_lint},
  });
}

}  // namespace segx::cli
