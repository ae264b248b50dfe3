// segx model import: an official checkpoint -> a segx model folder (model.json,
// weights.safetensors, import.json), from a detectron2 YAML config + .pkl/.pth/.safetensors
// checkpoint (model/import/detectron2_checkpoint.hpp) or a Hugging Face folder
// (model/import/huggingface.hpp). The importers check everything; this file picks one, writes
// the folder through io::StagedDir (nothing is written unless the whole import succeeds) and
// reports what was done with every upstream key.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "nested.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/detectron2_config.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"
#include "segx/model/import/detectron2_checkpoint.hpp"
#include "segx/model/import/huggingface.hpp"

namespace segx::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ImportOptions {
  std::vector<std::string> inputs;  // CONFIG.yaml CHECKPOINT [KEY VALUE ...] | HF_FOLDER
  std::string repository;
  std::string thing_classes;  // "0-79,85": replaces what the import found
  std::string out_dir;
  bool overwrite = false;
};

struct Imported {
  model::ImportedModel model;
  model::ImportReport report;
  json source;  // what was read, for import.json
};

Imported import_huggingface_folder(const ImportOptions& o) {
  if (o.inputs.size() != 1)
    fail(ErrorKind::Usage,
         "'{}' is a Hugging Face folder: its weights are inside it; give no checkpoint or "
         "overrides after it",
         o.inputs[0]);
  if (!o.repository.empty())
    fail(ErrorKind::Usage,
         "--repository applies to detectron2 configs, not to a Hugging Face folder");
  Imported r;
  r.model = model::import_huggingface(o.inputs[0], r.report);
  r.source = {{"format", "huggingface"}, {"folder", o.inputs[0]}};
  return r;
}

Imported import_detectron2_files(const ImportOptions& o) {
  if (o.inputs.size() < 2)
    fail(ErrorKind::Usage,
         "'{}': a detectron2 config needs its checkpoint: segx model import CONFIG.yaml "
         "CHECKPOINT [KEY VALUE ...]",
         o.inputs[0]);
  io::Detectron2ResolveOptions resolve;
  resolve.repository = o.repository;
  resolve.overrides.assign(o.inputs.begin() + 2, o.inputs.end());
  if (resolve.overrides.size() % 2 != 0)
    fail(ErrorKind::Usage, "config overrides come in KEY VALUE pairs: '{}' has no value",
         resolve.overrides.back());
  Imported r;
  r.model = model::import_detectron2(o.inputs[0], o.inputs[1], resolve, r.report);
  r.source = {{"format", "detectron2"},
              {"config", o.inputs[0]},
              {"checkpoint", o.inputs[1]},
              {"overrides", resolve.overrides}};
  return r;
}

// "0-79,85" -> {0, ..., 79, 85}: contiguous class ids below `num_classes`.
std::vector<int> parse_class_ids(const std::string& text, int num_classes) {
  std::vector<int> ids;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    int first = -1, last = -1;
    char dash = 0;
    std::size_t used = 0;
    const int n = std::sscanf(part.c_str(), "%d%c%d%zn", &first, &dash, &last, &used);
    if (n == 1 && std::sscanf(part.c_str(), "%d%zn", &first, &used) == 1 && used == part.size())
      last = first;
    else if (!(n == 3 && dash == '-' && used == part.size()))
      fail(ErrorKind::Usage, "--thing-classes '{}': '{}' is not an id or a range like 0-79", text,
           part);
    if (first < 0 || last < first || last >= num_classes)
      fail(ErrorKind::Usage, "--thing-classes '{}': '{}' is outside the model's classes 0-{}", text,
           part, num_classes - 1);
    for (int id = first; id <= last; ++id) ids.push_back(id);
    start = end + 1;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

json report_json(const Imported& r) {
  const auto& c = r.model.config;
  return {{"source", r.source},
          {"architecture", c.architecture},
          {"backbone", c.backbone},
          {"num_classes", c.num_classes},
          {"tensors", r.model.tensors.size()},
          {"used", r.report.used},
          {"not_used", r.report.not_used},
          {"notes", r.report.notes}};
}

int run_import(const ImportOptions& o) {
  // Refuses a non-empty --out-dir before the (long) import; the folder appears only on success.
  io::StagedDir stage(o.out_dir, o.overwrite);
  const bool huggingface = fs::is_directory(o.inputs[0]);
  log::info("importing {} {}", huggingface ? "the Hugging Face folder" : "the detectron2 config",
            o.inputs[0]);
  Imported r = huggingface ? import_huggingface_folder(o) : import_detectron2_files(o);
  if (!o.thing_classes.empty()) {
    auto& c = r.model.config;
    c.thing_classes = parse_class_ids(o.thing_classes, c.num_classes);
    r.report.used.push_back(fmt::format("--thing-classes {} -> thing_classes ({} classes)",
                                        o.thing_classes, c.thing_classes.size()));
  }
  const json report = report_json(r);
  const std::string checkpoint =
      huggingface ? o.inputs[0] : fs::path(o.inputs[1]).filename().string();
  io::save_tensors((stage.path() / "weights.safetensors").string(), r.model.tensors,
                   {{"source", checkpoint}, {"format", r.source.at("format").get<std::string>()}});
  io::write_file_atomic((stage.path() / "model.json").string(),
                        model::model_config_to_json(r.model.config));
  io::write_file_atomic((stage.path() / "import.json").string(), report.dump(2) + "\n");
  stage.commit();
  for (const auto& line : r.report.used) log::debug("used: {}", line);
  for (const auto& line : r.report.not_used) log::debug("not used: {}", line);
  for (const auto& line : r.report.notes) log::info("note: {}", line);
  log::info(
      "{} model ({} backbone, {} classes): {} tensors -> {} (model.json, "
      "weights.safetensors, import.json)",
      r.model.config.architecture, r.model.config.backbone, r.model.config.num_classes,
      r.model.tensors.size(), o.out_dir);
  return 0;
}

Runner setup_model_import(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  app.add_option("inputs", o->inputs,
                 "a detectron2 config of Mask2Former, MaskFormer or OneFormer (YAML, _BASE_ "
                 "chains resolved over the official defaults) followed by its checkpoint "
                 "(model-zoo .pkl, .pth, or .safetensors) and optional KEY VALUE overrides as "
                 "detectron2's trailing opts; or a Hugging Face folder (config.json, "
                 "preprocessor_config.json, model.safetensors or pytorch_model.bin). Checkpoints "
                 "are read without running anything from them")
      ->required();
  app.add_option("--out-dir", o->out_dir,
                 "the segx model folder to write: model.json, weights.safetensors (only the "
                 "tensors the model takes) and import.json (every upstream key: used, not used, "
                 "notes)")
      ->required();
  app.add_flag("--overwrite", o->overwrite, "write into a non-empty --out-dir");
  app.add_option("--thing-classes", o->thing_classes,
                 "contiguous ids of the classes that are things, e.g. 0-79 (replaces what the "
                 "import found: a detectron2 config's dataset, or a Hugging Face id2label that "
                 "names a dataset segx knows)");
  app.add_option("--repository", o->repository,
                 "whose defaults a detectron2 config resolves over (default: from "
                 "MODEL.META_ARCHITECTURE, the config's folder, then its keys)")
      ->check(CLI::IsMember(io::detectron2_repositories()));
  app.footer(
      "Exit 78 names the key or tensor that stops the import (an architecture or backbone segx "
      "does not build, a missing, extra or mis-shaped tensor); exit 65 a malformed checkpoint or "
      "one that would run code on load. Then run it: segx infer IMAGES --config DIR/model.json "
      "--weights DIR/weights.safetensors.");
  return [o]() { return run_import(*o); };
}

}  // namespace

Runner setup_model(CLI::App& app) {
  return add_nested_commands(
      app, {
               {"import", "official detectron2 or Hugging Face checkpoints -> a segx model folder",
                setup_model_import},
           });
}

}  // namespace segx::cli
