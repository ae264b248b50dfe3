// A detectron2 config and checkpoint of Mask2Former, MaskFormer or OneFormer imported as a segx
// model: the config through model_config_from_detectron2 (detectron2.hpp), the weights through
// the safe checkpoint readers (io/checkpoint.hpp: model-zoo .pkl, torch.save .pth, safetensors),
// checked by building the segx model from them.
// LibTorch header: include only from model, infer, train, the CLI command that imports, and tests.
#pragma once
#include <string>

#include "segx/io/checkpoint.hpp"
#include "segx/io/detectron2_config.hpp"
#include "segx/model/import/imported_model.hpp"
#include "segx/model/import/report.hpp"

namespace segx::model {

// The whole import: resolve `config_path` with `options` (its _BASE_ chain, the KEY VALUE
// overrides), map it to a segx config, read `checkpoint_path` and check its tensors against the
// model. Error(Config) (exit 78), one line naming the key or the tensors, when the config or the
// tensors do not give a segx model; Error(DataError) (65) for a malformed or hostile checkpoint;
// Error(NoInput) (66) for a missing file.
ImportedModel import_detectron2(const std::string& config_path, const std::string& checkpoint_path,
                                const io::Detectron2ResolveOptions& options, ImportReport& report);

// The steps, for tests and callers holding the config already.

// The checkpoint's weights as the official model loads them: training-only tensors
// (criterion.*, OneFormer's text encoder) dropped and reported, and a checkpoint of the heads'
// first format (the pixel decoder's tensors directly under sem_seg_head.) renamed as
// MaskFormerHead._load_from_state_dict renames it.
io::TensorMap detectron2_checkpoint_tensors(const io::Checkpoint& checkpoint,
                                            const std::string& source, ImportReport& report);

// Builds the segx model of `config` from `tensors` on the CPU: Error(Config) naming every
// missing, unexpected and mis-shaped tensor of `source` (`config_name` names the config in the
// message). Swin's relative_position_index buffers
// are checked against the window and then dropped (segx computes them).
void check_detectron2_tensors(const ModelConfig& config, const std::string& config_name,
                              io::TensorMap& tensors, const std::string& source,
                              ImportReport& report);

}  // namespace segx::model
