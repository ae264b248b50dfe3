// `segx visualize`: overlays, ground truth | prediction, contact sheets and plots as PNG or JPEG.
// Each nested command parses its options here and calls segx::viz; pictures of a set are drawn on
// a thread pool and written into a staged folder, moved into place only when all succeeded.
#include <algorithm>
#include <filesystem>
#include <memory>

#include "command.hpp"
#include "deprecated.hpp"
#include "nested.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/json.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/viz/coco_items.hpp"
#include "segx/viz/compare.hpp"
#include "segx/viz/error_view.hpp"
#include "segx/viz/image_file.hpp"
#include "segx/viz/instance_items.hpp"
#include "segx/viz/overlay.hpp"
#include "segx/viz/report_plots.hpp"
#include "segx/viz/sheet.hpp"

namespace segx::cli {

namespace {

namespace fs = std::filesystem;

// Inputs and output options shared by overlay, compare and sheet.
struct SetOptions {
  std::string gt_json, gt_dir, pred_json, pred_dir, images, semantic, categories, ids = "raw";
  std::string instances, results, manifest, manifest_labels = "auto";
  double min_score = 0.5;
  int ignore = -1;
  std::vector<std::string> image_ids;
  std::size_t limit = 0;
  std::string output, out_dir, format = "png";
  int jpeg_quality = 92, threads = 0;
  bool overwrite = false;
  CLI::Option* format_option = nullptr;  // to tell a given --format from the default
  viz::OverlayStyle style;
  bool no_labels = false, no_scores = false, no_legend = false, no_shades = false;
};

// What a command draws into: a folder of pictures (--out-dir, or one picture to -o), or one
// picture only (sheet: -o).
enum class Output { Folder, OnePicture };

void add_output_options(CLI::App& app, SetOptions& o, Output output);

void add_set_options(CLI::App& app, SetOptions& o, bool needs_pred,
                     Output output = Output::Folder) {
  auto* gt = app.add_option("--coco-panoptic", o.gt_json,
                            "COCO panoptic JSON of the ground truth (or of what to draw)");
  if (needs_pred)
    gt->required();
  else {
    auto* sem = app.add_option("--semantic", o.semantic,
                               "folder of semantic label PNGs (instead of --coco-panoptic)");
    sem->excludes(gt);
    app.add_option(
        "--categories", o.categories,
        "JSON with the categories of --semantic (a list, or an object with \"categories\")");
    app.add_option(
           "--ids", o.ids,
           "--semantic label values: raw category ids, or contiguous indices into --categories")
        ->check(CLI::IsMember({"raw", "contiguous"}));
    app.add_option(
        "--ignore", o.ignore,
        "--semantic label value of unlabeled pixels (default: 0 for raw, 255 for contiguous)");
    auto* inst = app.add_option(
        "--coco-instances", o.instances,
        "COCO instances JSON: its instances (or, with --results, the results) over its images");
    inst->excludes(gt)->excludes(sem);
    app.add_option("--results", o.results,
                   "COCO results JSON (masks or boxes with score) drawn over --coco-instances' "
                   "images")
        ->needs(inst);
    auto* man = app.add_option("--manifest", o.manifest,
                               "segx manifest: each record's panoptic segments, semantic PNG or "
                               "instances over its file_name");
    man->excludes(gt)->excludes(sem)->excludes(inst);
    app.add_option("--manifest-labels", o.manifest_labels,
                   "what to draw of --manifest records: auto (panoptic, else semantic, else "
                   "instances), panoptic, semantic, instances")
        ->check(CLI::IsMember({"auto", "panoptic", "semantic", "instances"}));
    app.add_option("--min-score", o.min_score,
                   "draw only predicted instances scoring at least this (--results, --manifest)");
  }
  app.add_option("--panoptic-dir", o.gt_dir,
                 "folder of its PNGs (default: the JSON path without .json)");
  auto* pred = app.add_option("--pred", o.pred_json,
                              "COCO panoptic JSON of the prediction (segments with score)");
  if (needs_pred) pred->required();
  app.add_option("--pred-dir", o.pred_dir,
                 "folder of the prediction PNGs (default: the JSON path without .json)");
  app.add_option("--images", o.images,
                 "folder of the photos named in the JSON's images (with --manifest: instead of "
                 "the records' file_name folders)");
  add_output_options(app, o, output);
}

// Selection, output and drawing style: the same for every command that draws a set.
void add_output_options(CLI::App& app, SetOptions& o, Output output) {
  app.add_option("--image-id", o.image_ids,
                 "draw only these image ids (repeatable; with --semantic: label PNG stems)");
  app.add_option("--limit", o.limit, "draw at most N images (0: all)");
  if (output == Output::OnePicture) {
    app.add_option("-o,--output", o.output, "the picture to write (.png or .jpg; '-': stdout)")
        ->required();
    const std::string one =
        "a sheet is one picture, in the format of -o's extension, and "
        "replaces the file -o names";
    add_refused_option(app, "--format", o.format, one);
    add_refused_option(app, "--overwrite", o.overwrite, one);
  } else {
    auto* file =
        app.add_option("-o,--output", o.output,
                       "the picture to write when one image is drawn (.png or .jpg; '-': stdout)");
    app.add_option("--out-dir", o.out_dir, "output folder: one picture per image")
        ->excludes(file);  // both visible: CLI11 names them in its message
    o.format_option = app.add_option("--format", o.format, "picture format in --out-dir")
                          ->check(CLI::IsMember({"png", "jpg"}));
    app.add_flag("--overwrite", o.overwrite, "write into an --out-dir that is not empty");
  }
  app.add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality 1..100")
      ->check(CLI::Range(1, 100));
  app.add_option("-j,--threads", o.threads, "worker threads (0: all cores)");
  app.add_option("--alpha", o.style.alpha, "opacity of the segment colours, 0..1")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--outline", o.style.outline,
                 "outline width in pixels (0: by image size, -1: none)");
  app.add_option("--min-size", o.style.min_side,
                 "enlarge smaller pictures to this longer side for legible labels");
  app.add_flag("--no-labels", o.no_labels, "no class names on the segments");
  app.add_flag("--no-scores", o.no_scores, "no prediction scores in the labels");
  app.add_flag("--no-legend", o.no_legend, "no legend strip below the picture");
  app.add_flag("--no-shades", o.no_shades, "one colour per class, no instance shades");
}

viz::OverlayStyle style_of(const SetOptions& o) {
  viz::OverlayStyle s = o.style;
  s.labels = !o.no_labels;
  s.scores = !o.no_scores;
  s.legend = !o.no_legend;
  s.shades = !o.no_shades;
  return s;
}

// Keeps the items whose key is in `ids` (in that order) and at most `limit` of them.
template <class Item>
std::vector<Item> select_items(std::vector<Item> all, const std::vector<std::string>& ids,
                               std::size_t limit, const std::string& source) {
  std::vector<Item> picked;
  if (!ids.empty()) {
    for (const auto& id : ids) {
      auto it = std::find_if(all.begin(), all.end(), [&](const Item& i) { return i.key == id; });
      if (it == all.end()) fail(ErrorKind::Usage, "'{}' has no image with id {}", source, id);
      picked.push_back(std::move(*it));
    }
  } else {
    picked = std::move(all);
  }
  if (limit > 0 && picked.size() > limit) picked.resize(limit);
  if (picked.empty()) fail(ErrorKind::DataError, "'{}' lists no images to draw", source);
  return picked;
}

struct LoadedSet {
  dataset::CocoPanoptic gt;
  std::optional<dataset::CocoPanoptic> pred;
  viz::CategoryTable categories;
  std::vector<viz::VizItem> items;
};

viz::CategoryTable categories_file(const std::string& path) {
  if (path.empty()) fail(ErrorKind::Usage, "--semantic needs --categories");
  dataset::JsonDocument doc = dataset::read_json_file(path);
  const dataset::JsonValue& list =
      doc.IsObject() && doc.HasMember("categories") ? doc["categories"] : doc;
  return viz::category_table(dataset::CategorySet::from_json(list, path));
}

LoadedSet load_set(const SetOptions& o) {
  LoadedSet set;
  if (!o.semantic.empty()) {
    set.categories = categories_file(o.categories);
    bool contiguous = o.ids == "contiguous";
    auto items = viz::semantic_items(o.semantic, o.images, set.categories, contiguous,
                                     o.ignore >= 0 ? o.ignore
                                     : contiguous  ? 255
                                                   : 0);
    if (items.empty()) fail(ErrorKind::DataError, "'{}' has no label PNGs", o.semantic);
    set.items = select_items(std::move(items), o.image_ids, o.limit, o.semantic);
    return set;
  }
  if (!o.manifest.empty()) {
    auto m = viz::manifest_items(o.manifest, viz::parse_manifest_labels(o.manifest_labels),
                                 o.images, o.min_score);
    set.categories = std::move(m.categories);
    set.items = select_items(std::move(m.items), o.image_ids, o.limit, o.manifest);
    return set;
  }
  if (o.images.empty()) fail(ErrorKind::Usage, "--images is needed (the folder of the photos)");
  if (!o.instances.empty()) {
    auto gt = dataset::CocoInstances::read(o.instances);
    if (gt.is_results)
      fail(ErrorKind::Usage, "'{}' is a results list; give it as --results beside the GT JSON",
           o.instances);
    std::optional<dataset::CocoInstances> results;
    if (!o.results.empty()) results = dataset::CocoInstances::read(o.results);
    set.categories = viz::category_table(gt.categories);
    set.items = select_items(
        viz::coco_instance_items(gt, results ? &*results : nullptr, o.min_score, o.images),
        o.image_ids, o.limit, o.instances);
    return set;
  }
  if (o.gt_json.empty())
    fail(ErrorKind::Usage, "give --coco-panoptic, --semantic, --coco-instances or --manifest");
  set.gt = dataset::CocoPanoptic::read(o.gt_json, o.gt_dir);
  if (!o.pred_json.empty()) set.pred = dataset::CocoPanoptic::read(o.pred_json, o.pred_dir);
  set.categories = viz::category_table(set.gt.categories);
  set.items =
      select_items(viz::coco_panoptic_items(set.gt, set.pred ? &*set.pred : nullptr, o.images),
                   o.image_ids, o.limit, o.gt_json);
  return set;
}

// The folder the pictures go into, or "" when -o names one picture file. `-o DIR` (a name without
// a picture extension) is how a folder was named before --out-dir: it still works, with a warning.
std::string output_folder(const SetOptions& o) {
  if (!o.out_dir.empty()) return o.out_dir;
  if (o.output.empty()) fail(ErrorKind::Usage, "give --out-dir DIR, or -o FILE for one picture");
  const std::string ext = fs::path(o.output).extension().string();
  if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || o.output == "-") return "";
  warn_deprecated("-o DIR (a folder)", "--out-dir DIR");
  return o.output;
}

// Draws `count` pictures with `draw` on the thread pool: one picture to the -o file, or every
// picture into the output folder as <key(i)>.<format>.
int draw_pictures(const SetOptions& o, std::size_t count, const std::string& label,
                  const std::function<std::string(std::size_t)>& key,
                  const std::function<cv::Mat3b(std::size_t)>& draw) {
  const std::string folder = output_folder(o);
  if (folder.empty()) {
    if (o.format_option && o.format_option->count() > 0)
      fail(ErrorKind::Usage,
           "--format is for --out-dir; the picture -o names takes the format "
           "of its extension");
    if (o.overwrite)
      fail(ErrorKind::Usage, "--overwrite is for --out-dir; the file -o names is always replaced");
    if (count != 1)
      fail(ErrorKind::Usage,
           "-o '{}' is one picture but {} images are selected; give --out-dir DIR or one "
           "--image-id",
           o.output, count);
    viz::write_picture(o.output, draw(0), o.jpeg_quality);
    return 0;
  }
  // Picture names come from image ids: each is checked (none leaves the folder) and claimed once
  // (two images of one id would draw over each other) before anything is drawn.
  io::OutputNames names;
  std::vector<std::string> files(count);
  for (std::size_t i = 0; i < count; ++i)
    files[i] = names.claim(key(i) + "." + o.format, "image '" + key(i) + "'");
  io::StagedDir out(folder, o.overwrite);
  Progress progress(label, count);
  parallel_for(count, o.threads, [&](std::size_t i, int) {
    const auto path = out.path() / files[i];
    if (files[i].find('/') != std::string::npos) fs::create_directories(path.parent_path());
    viz::write_picture(path.string(), draw(i), o.jpeg_quality);
    progress.advance();
  });
  progress.finish();
  out.commit();
  log::info("wrote {} pictures to '{}'", count, folder);
  return 0;
}

int draw_all(const SetOptions& o, const LoadedSet& set, const std::string& label,
             const std::function<cv::Mat3b(const viz::VizItem&)>& draw) {
  return draw_pictures(
      o, set.items.size(), label, [&](std::size_t i) { return set.items[i].key; },
      [&](std::size_t i) { return draw(set.items[i]); });
}

struct Loaded {
  cv::Mat3b image;
  viz::Annotation gt, pred;
};

Loaded load_item(const viz::VizItem& item) {
  Loaded l;
  l.image = viz::read_picture(item.image);
  l.gt = viz::load_annotation(item.gt);
  viz::check_pair(l.image, item.image, l.gt, item.gt.path);
  if (item.pred) {
    l.pred = viz::load_annotation(*item.pred);
    viz::check_pair(l.image, item.image, l.pred, item.pred->path);
  }
  return l;
}

Runner setup_overlay(CLI::App& app) {
  auto o = std::make_shared<SetOptions>();
  add_set_options(app, *o, false);
  app.footer(
      "Draws over each photo: the --coco-panoptic annotation (or, with --pred, the prediction), "
      "--semantic label PNGs, --coco-instances (or its --results, labelled with scores), or the "
      "records of a --manifest.");
  return [o]() {
    LoadedSet set = load_set(*o);
    viz::OverlayStyle style = style_of(*o);
    return draw_all(*o, set, "overlay", [&](const viz::VizItem& item) {
      Loaded l = load_item(item);
      bool pred = item.pred.has_value();
      return viz::render_overlay(l.image, pred ? l.pred : l.gt, set.categories, style,
                                 pred ? item.pred->path : item.gt.path);
    });
  };
}

Runner setup_compare(CLI::App& app) {
  auto o = std::make_shared<SetOptions>();
  add_set_options(app, *o, true);
  return [o]() {
    LoadedSet set = load_set(*o);
    viz::OverlayStyle style = style_of(*o);
    return draw_all(*o, set, "compare", [&](const viz::VizItem& item) {
      Loaded l = load_item(item);
      return viz::render_compare(l.image, l.gt, l.pred, set.categories, style, item.gt.path);
    });
  };
}

Runner setup_errors(CLI::App& app) {
  struct Options {
    SetOptions out;
    metrics::PanopticSetSpec spec;
    std::string gt_manifest, pred_manifest, images;
  };
  auto o = std::make_shared<Options>();
  // Statuses matter more than the photo here: a stronger fill keeps them apart on busy images.
  o->out.style.alpha = 0.75;
  auto* gt =
      app.add_option("--coco-panoptic", o->spec.gt_json, "COCO panoptic JSON of the ground truth");
  app.add_option("--panoptic-dir", o->spec.gt_dir,
                 "folder of its PNGs (default: the JSON path without .json)");
  auto* pred = app.add_option("--pred", o->spec.pred_json, "COCO panoptic JSON of the prediction");
  app.add_option("--pred-dir", o->spec.pred_dir,
                 "folder of the prediction PNGs (default: the JSON path without .json)");
  app.add_option("--gt-manifest", o->gt_manifest,
                 "segx manifest with the ground truth (instead of --coco-panoptic)")
      ->excludes(gt);
  app.add_option("--pred-manifest", o->pred_manifest,
                 "segx manifest with the prediction (instead of --pred)")
      ->excludes(pred);
  app.add_option("--images", o->images,
                 "folder of the photos (default with --gt-manifest: its records' file_name)");
  app.add_flag("--allow-missing", o->spec.allow_missing,
               "draw an image without prediction (all its segments false negatives)");
  add_output_options(app, o->out, Output::Folder);
  app.footer(
      "Matches each image exactly as `segx eval pq` does and draws ground truth | prediction: "
      "true positives (labelled with their IoU), false negatives, false positives, crowd regions "
      "and void or ignored predictions in distinct colours.");
  return [o]() {
    auto& spec = o->spec;
    if (!o->gt_manifest.empty()) {
      spec.gt_json = o->gt_manifest;
      spec.gt_is_manifest = true;
    }
    if (!o->pred_manifest.empty()) {
      spec.pred_json = o->pred_manifest;
      spec.pred_is_manifest = true;
    }
    if (spec.gt_json.empty()) fail(ErrorKind::Usage, "give --coco-panoptic or --gt-manifest");
    if (spec.pred_json.empty()) fail(ErrorKind::Usage, "give --pred or --pred-manifest");
    viz::ErrorSet set = viz::load_error_set(spec, o->images);
    set.items = select_items(std::move(set.items), o->out.image_ids, o->out.limit, spec.gt_json);
    viz::OverlayStyle style = style_of(o->out);
    return draw_pictures(
        o->out, set.items.size(), "errors", [&](std::size_t i) { return set.items[i].key; },
        [&](std::size_t i) { return viz::render_error_item(set.items[i], set, style); });
  };
}

Runner setup_sheet(CLI::App& app) {
  auto o = std::make_shared<SetOptions>();
  auto sheet = std::make_shared<viz::SheetStyle>();
  auto plain = std::make_shared<bool>(false);
  add_set_options(app, *o, false, Output::OnePicture);
  app.add_option("--columns", sheet->columns, "pictures per row (0: about square, at most 8)");
  app.add_option("--cell-width", sheet->cell_width, "width of each picture in the sheet, pixels");
  app.add_option("--title", sheet->title, "title above the grid");
  app.add_flag("--photos-only", *plain, "the photos without their annotation");
  app.footer(
      "Writes one contact sheet (-o FILE.png|jpg): a grid of the selected images, captioned with "
      "their ids.");
  return [o, sheet, plain]() {
    LoadedSet set = load_set(*o);
    viz::OverlayStyle style = style_of(*o);
    // Tiles are shrunk to a few hundred pixels: labels would become unreadable specks there.
    style.legend = false;
    style.labels = false;
    std::vector<viz::SheetTile> tiles(set.items.size());
    Progress progress("sheet", set.items.size());
    parallel_for(set.items.size(), o->threads, [&](std::size_t i, int) {
      const auto& item = set.items[i];
      Loaded l = load_item(item);
      tiles[i].image =
          *plain ? l.image
                 : viz::render_overlay(l.image, l.gt, set.categories, style, item.gt.path);
      tiles[i].caption = item.key;
      progress.advance();
    });
    progress.finish();
    viz::write_picture(o->output, viz::render_contact_sheet(tiles, *sheet), o->jpeg_quality);
    return 0;
  };
}

Runner setup_plot(CLI::App& app) {
  struct Options {
    std::string input, output, kind = "auto", fields;
    viz::PlotRequest request;
  };
  auto o = std::make_shared<Options>();
  app.add_option(
         "input", o->input,
         "eval report JSON (pq, miou, COCO AP with precision) or metrics.jsonl; - for stdin")
      ->required();
  app.add_option("-o,--output", o->output, "the picture to write (.png or .jpg)")->required();
  app.add_option("--kind", o->kind,
                 "plot: auto (from the file), pr, pr-classes, bars, confusion, training")
      ->check(CLI::IsMember({"auto", "pr", "pr-classes", "bars", "confusion", "training"}));
  app.add_option("--value", o->request.value,
                 "bars: per-class field to show (PQ, SQ, RQ, IoU, Acc, Dice, ...)");
  app.add_option("--fields", o->fields, "training: comma-separated fields (default: every loss)");
  app.add_option("--smoothing", o->request.smoothing,
                 "training: moving-average weight 0..1 (0: raw only)")
      ->check(CLI::Range(0.0, 0.999));
  app.add_flag("--log-y", o->request.log_y, "training: logarithmic loss axis");
  app.add_flag("--counts", o->request.counts, "confusion: pixel counts instead of row fractions");
  app.add_option("--columns", o->request.columns, "pr-classes: charts per row");
  app.add_option("--title", o->request.title, "title of the plot");
  return [o]() {
    viz::picture_format(o->output);  // refuse a bad extension before any work
    o->request.kind = viz::parse_plot_kind(o->kind);
    std::string rest = o->fields;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      o->request.fields.push_back(rest.substr(0, comma));
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    viz::write_picture(o->output, viz::render_plot_file(o->input, o->request));
    return 0;
  };
}

}  // namespace

Runner setup_visualize(CLI::App& app) {
  app.footer("Pictures are PNG or JPEG; folders are filled only when every picture succeeded.");
  return add_nested_commands(
      app,
      {
          {"overlay", "annotations or predictions drawn over their images", setup_overlay},
          {"compare", "ground truth | prediction side by side", setup_compare},
          {"errors", "PQ error view: true/false positives, false negatives, crowd, void",
           setup_errors},
          {"sheet", "a contact sheet: a captioned grid of images", setup_sheet},
          {"plot", "PR curves, per-class bars, confusion matrices, training curves", setup_plot},
      });
}

}  // namespace segx::cli
