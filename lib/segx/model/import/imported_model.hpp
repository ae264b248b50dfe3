// What an importer of an official checkpoint gives: the segx model config and the tensors the
// segx model of that config takes, under detectron2's names (the names segx's weights use).
// LibTorch header: include only from model, infer, train, the CLI command that imports, and tests.
#pragma once
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/config.hpp"

namespace segx::model {

struct ImportedModel {
  ModelConfig config;
  // Every tensor the segx model of `config` takes, under detectron2's names, in the dtype the
  // checkpoint stores (float16/bfloat16 checkpoints stay so).
  io::TensorMap tensors;
};

}  // namespace segx::model
