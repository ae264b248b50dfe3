// detectron2 checkpoint import: the checkpoint's names are already the names segx's weights use
// (detectron2's module paths), so the work is what detectron2's checkpointer and the heads'
// _load_from_state_dict do on load, then the check by building the model.
#include "segx/model/import/detectron2_checkpoint.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/model/import/detectron2.hpp"
#include "segx/model/model.hpp"

namespace segx::model {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Tensors the official models carry for training only (the loss's class weights, OneFormer's
// text encoder for its contrastive loss); inference never reads them.
constexpr const char* kTrainingOnly[] = {"criterion.", "text_encoder.", "text_projector.",
                                         "prompt_ctx."};

bool training_only(const std::string& name) {
  for (const char* p : kTrainingOnly)
    if (starts_with(name, p)) return true;
  return false;
}

// MaskFormerHead (MaskFormer and Mask2Former alike) version 1 kept the pixel decoder's modules
// directly under sem_seg_head.; its _load_from_state_dict moves every sem_seg_head.* key but the
// predictor's under sem_seg_head.pixel_decoder. when the state dict's metadata has no version 2.
// A pickle carries no such metadata that segx reads, so the rule here is by content: a checkpoint
// with no sem_seg_head.pixel_decoder.* tensor but other sem_seg_head.* ones is of the first format.
bool first_head_format(const io::TensorMap& tensors) {
  bool head = false;
  for (const auto& [name, t] : tensors) {
    if (starts_with(name, "sem_seg_head.pixel_decoder.")) return false;
    if (starts_with(name, "sem_seg_head.") && !starts_with(name, "sem_seg_head.predictor."))
      head = true;
  }
  return head;
}

}  // namespace

io::TensorMap detectron2_checkpoint_tensors(const io::Checkpoint& checkpoint,
                                            const std::string& source, ImportReport& report) {
  io::TensorMap all = io::to_tensors(checkpoint, source);
  if (all.empty()) fail(ErrorKind::Config, "'{}': the checkpoint holds no tensors", source);
  if (auto it = checkpoint.info.find("matching_heuristics");
      it != checkpoint.info.end() && it->second == "True")
    report.notes.push_back(
        "the checkpoint asks for detectron2's matching heuristics (a converted backbone, not a "
        "trained model): its names are taken as they are");
  io::TensorMap out;
  int dropped = 0;
  for (auto& [name, t] : all) {
    if (training_only(name)) {
      ++dropped;
      continue;
    }
    out.emplace(name, std::move(t));
  }
  if (dropped)
    report.notes.push_back(fmt::format(
        "{} training-only tensors not kept (criterion.*, text_encoder.*, text_projector.*, "
        "prompt_ctx.*)",
        dropped));
  if (first_head_format(out)) {
    io::TensorMap renamed;
    for (auto& [name, t] : out) {
      const bool move =
          starts_with(name, "sem_seg_head.") && !starts_with(name, "sem_seg_head.predictor.");
      renamed.emplace(move ? "sem_seg_head.pixel_decoder." + name.substr(13) : name, std::move(t));
    }
    out = std::move(renamed);
    report.notes.push_back(
        "the heads' first weight format (the pixel decoder directly under sem_seg_head.): renamed "
        "under sem_seg_head.pixel_decoder. as MaskFormerHead._load_from_state_dict does");
  }
  return out;
}

void check_detectron2_tensors(const ModelConfig& config, const std::string& config_name,
                              io::TensorMap& tensors, const std::string& source,
                              ImportReport& report) {
  try {
    c10::InferenceMode guard;
    Weights weights(tensors, source);
    auto model = build_model(config, weights);
    weights.finish();
  } catch (const Error& e) {
    // Weights::finish() says "the model config": name the model the config file describes.
    std::string message = e.what();
    const std::string generic = "weights do not match the model config";
    if (auto at = message.find(generic); at != std::string::npos)
      message.replace(
          at, generic.size(),
          fmt::format("tensors do not match the {} model of {}", config.architecture, config_name));
    throw Error(e.kind(), message);
  }
  int derived = 0;
  for (auto it = tensors.begin(); it != tensors.end();) {
    if (ends_with(it->first, ".attn.relative_position_index")) {
      it = tensors.erase(it);
      ++derived;
    } else {
      ++it;
    }
  }
  if (derived)
    report.notes.push_back(fmt::format(
        "{} relative_position_index buffers: checked against Swin's for window {}, not kept "
        "(segx computes them)",
        derived, config.swin.window_size));
}

ImportedModel import_detectron2(const std::string& config_path, const std::string& checkpoint_path,
                                const io::Detectron2ResolveOptions& options, ImportReport& report) {
  auto imported = import_detectron2_config(config_path, options);
  report.used.insert(report.used.end(), imported.report.used.begin(), imported.report.used.end());
  report.not_used.insert(report.not_used.end(), imported.report.not_used.begin(),
                         imported.report.not_used.end());
  report.notes.insert(report.notes.end(), imported.report.notes.begin(),
                      imported.report.notes.end());
  ImportedModel out;
  out.config = std::move(imported.config);
  out.tensors =
      detectron2_checkpoint_tensors(io::read_checkpoint(checkpoint_path), checkpoint_path, report);
  check_detectron2_tensors(out.config, "'" + config_path + "'", out.tensors, checkpoint_path,
                           report);
  return out;
}

}  // namespace segx::model
