// `segx eval`: PQ, mIoU and COCO AP; each metric is a nested subcommand with its own file.
#include "command.hpp"
#include "nested.hpp"

namespace segx::cli {

Runner setup_eval_pq(CLI::App& app);     // cmd_eval_pq.cpp
Runner setup_eval_miou(CLI::App& app);   // cmd_eval_miou.cpp
Runner setup_eval_merge(CLI::App& app);  // cmd_eval_merge.cpp

Runner setup_eval(CLI::App& app) {
  app.footer("Every metric prints a table like the reference tool's; --json writes a report.");
  return add_nested_commands(app, {
      {"pq", "panoptic quality as panopticapi pq_compute", setup_eval_pq},
      {"miou", "semantic segmentation IoU, mIoU, accuracy, Dice", setup_eval_miou},
      {"ap", "COCO AP for bbox and segm as pycocotools COCOeval", setup_eval_ap},
      {"merge", "combine --shard partial accumulators into one result", setup_eval_merge},
  });
}

}  // namespace segx::cli
