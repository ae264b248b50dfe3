// The tensor names of Hugging Face transformers' Mask2Former, OneFormer and MaskFormer checkpoints
// and the detectron2 names segx takes, one rule per detectron2 tensor: the inverse of
// transformers' conversion scripts (huggingface_names.cpp cites them).
#pragma once
#include <string>
#include <vector>

#include "segx/model/config.hpp"

namespace segx::model {

struct HuggingFaceNameRule {
  std::string detectron2;
  // One name: renamed. Three: the query, key and value projections that the conversion split the
  // fused tensor into, concatenated back along dim 0 in that order.
  std::vector<std::string> huggingface;
  // A buffer the model computes (Swin's relative_position_index): optional, checked by building
  // the model, not kept.
  bool derived = false;
};

// How transformers lays out the backbone under "model.pixel_level_module.encoder.".
enum class HuggingFaceSwinLayout {
  Swin,            // SwinBackbone (Mask2Former, OneFormer): hidden_states_norms.stage{i+1}
  MaskFormerSwin,  // MaskFormerSwinBackbone: model.embeddings/encoder, hidden_states_norms.{i}
};

// Every tensor of the segx model of `config` (an architecture, backbone and sizes transformers
// can express), in the order the conversion scripts list them.
std::vector<HuggingFaceNameRule> huggingface_name_rules(const ModelConfig& config,
                                                        HuggingFaceSwinLayout swin_layout);

// Tensors of transformers' models that have no detectron2 counterpart and no effect on inference,
// with why (empty: not such a tensor): the loss's buffers, BatchNorm's counters, MaskFormerSwin's
// unused final norm, OneFormer's training-only text mapper.
std::string huggingface_ignored_tensor(const std::string& name);

}  // namespace segx::model
