// OneFormer's task input: what the decoder is given to say which task an image is for. Training
// (train/oneformer_training) and inference (infer/predictor) both build it here, so the two never
// disagree on the prompt or the row order. No LibTorch here (segx_core).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/config.hpp"

namespace segx::model {

// OneFormer's tasks in the order of the learned task embedding's rows (task_embed.weight):
// semantic 0, instance 1, panoptic 2; Error(Usage) for another name.
int oneformer_task_index(const std::string& task);

// Upstream's task prompt, "the task is {task}" (the tokenizer lowercases).
std::string oneformer_task_prompt(const std::string& task);

// One image's task input for a model of config `c`: the tokens of the task prompt, zero padded
// to oneformer.task_seq_len (token_mlp, upstream), or the task's row index alone (learned, where
// `tokenizer` may be null). Error(Usage) for an unknown task; Error(Config) when the model needs a
// tokenizer and none is given.
std::vector<std::int64_t> oneformer_task_input(const ModelConfig& c, const ClipTokenizer* tokenizer,
                                               const std::string& task);

// Whether the model's task input comes from a tokenizer (false for the learned task embedding
// and for models that are not OneFormer).
bool oneformer_task_needs_tokenizer(const ModelConfig& c);

}  // namespace segx::model
