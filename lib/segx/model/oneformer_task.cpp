#include "segx/model/oneformer_task.hpp"

#include "segx/core/error.hpp"

namespace segx::model {

int oneformer_task_index(const std::string& task) {
  if (task == "semantic") return 0;
  if (task == "instance") return 1;
  if (task == "panoptic") return 2;
  fail(ErrorKind::Usage, "unknown task '{}' (expected panoptic, instance or semantic)", task);
}

std::string oneformer_task_prompt(const std::string& task) {
  return "the task is " + task;
}

bool oneformer_task_needs_tokenizer(const ModelConfig& c) {
  return c.is_oneformer() && c.oneformer.task_embedding != "learned";
}

std::vector<std::int64_t> oneformer_task_input(const ModelConfig& c, const ClipTokenizer* tokenizer,
                                               const std::string& task) {
  const int index = oneformer_task_index(task);  // refuses an unknown task either way
  if (!oneformer_task_needs_tokenizer(c)) return {index};
  if (tokenizer == nullptr)
    fail(ErrorKind::Config,
         "a OneFormer model with oneformer.task_embedding '{}' needs a tokenizer",
         c.oneformer.task_embedding);
  return tokenizer->tokenize(oneformer_task_prompt(task), c.oneformer.task_seq_len);
}

}  // namespace segx::model
