// Hugging Face transformers checkpoints imported natively: a folder with config.json and
// model.safetensors of Mask2FormerForUniversalSegmentation, OneFormerForUniversalSegmentation or
// MaskFormerForInstanceSegmentation -> the segx model config and the tensors under detectron2's
// names, as the official checkpoint that transformers converted would give them.
// LibTorch header: include only from model, infer, train, the CLI command that imports, and tests.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <string>

#include "segx/io/safetensors_torch.hpp"
#include "segx/model/config.hpp"
#include "segx/model/import/huggingface_names.hpp"
#include "segx/model/import/imported_model.hpp"
#include "segx/model/import/report.hpp"

namespace segx::model {

// The whole import of `folder`: config.json (required), preprocessor_config.json (optional:
// pixel mean/std, test size, size divisor, OneFormer's thing classes), and the weights:
// model.safetensors, model.safetensors.index.json with its shards, or pytorch_model.bin.
// The imported tensors are checked by building the model from them, so that a missing, extra or
// mis-shaped tensor is an error naming the checkpoint's tensor. Error(Config) (exit 78) for an
// architecture, backbone or key segx cannot honour, naming it; Error(NoInput) for a missing file.
ImportedModel import_huggingface(const std::string& folder, ImportReport& report);

// The steps of import_huggingface, for tests and callers holding the files already.

struct HuggingFaceModelConfig {
  ModelConfig config;
  HuggingFaceSwinLayout swin_layout = HuggingFaceSwinLayout::Swin;
};

// config.json's object (and preprocessor_config.json's, null when absent) -> the segx config.
// `source` names config.json in messages; keys of a nested config are named with their path
// ("backbone_config.window_size"). Every key lands in `report` as used or not used.
HuggingFaceModelConfig huggingface_model_config(const nlohmann::json& config,
                                                const nlohmann::json& preprocessor,
                                                const std::string& source, ImportReport& report);

// The checkpoint's tensors under transformers' names -> detectron2's names (q/k/v concatenated back
// into the fused tensors the conversion split). Derived buffers (Swin's relative_position_index)
// are kept here for the check by build; Error(Config) naming every missing and unexpected tensor.
io::TensorMap huggingface_to_detectron2(const HuggingFaceModelConfig& config, io::TensorMap tensors,
                                        const std::string& source, ImportReport& report);

// Builds the model of `config` from `tensors` on the CPU (Weights::finish's check), naming each
// tensor in an error by its checkpoint name; then drops the derived buffers from `tensors`.
void check_by_building(const HuggingFaceModelConfig& config, io::TensorMap& tensors,
                       const std::string& source, ImportReport& report);

}  // namespace segx::model
