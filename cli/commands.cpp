// The one command table of segx, and the construction of the CLI11 tree from it.
#include "command.hpp"

namespace segx::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"convert", "convert datasets between formats, generate synthetic data, lint", setup_convert},
      {"eval", "evaluate predictions: PQ, mIoU, COCO AP", setup_eval},
      {"vocab", "build, check, diff and apply a unified label space across datasets", setup_vocab},
      {"infer", "run Mask2Former/OneFormer on images: panoptic, instance or semantic output",
       setup_infer},
      {"train", "train Mask2Former from a JSON description: datasets, model, solver", setup_train},
      {"visualize", "draw overlays, comparisons, contact sheets and plots", setup_visualize},
      {"generate", "generate man pages and shell completions from this CLI", setup_generate, true},
  };
  return table;
}

CliTree build_cli() {
  CliTree tree;
  tree.app = std::make_unique<CLI::App>(
      "segx: a toolchain for universal image segmentation (semantic, instance, panoptic)", "segx");
  auto& app = *tree.app;
  app.require_subcommand(0, 1);
  app.fallthrough();
  static bool version = false;
  static int verbosity = 0;
  static bool quiet = false;
  app.add_flag("--version", version, "print the version of segx and its libraries, then exit");
  app.add_flag("-v,--verbose", verbosity, "more detail on stderr (repeat for debug output)");
  app.add_flag("-q,--quiet", quiet, "only errors on stderr; no progress");
  tree.version_flag = &version;
  tree.verbosity = &verbosity;
  tree.quiet = &quiet;
  for (const auto& cmd : commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.summary);
    if (cmd.hidden) sub->group("");
    tree.runners.emplace_back(sub, cmd.setup(*sub));
  }
  auto* help = app.add_subcommand("help", "show the help of a subcommand");
  static std::vector<std::string> help_topic;
  help->add_option("command", help_topic, "the subcommand (and nested subcommand) to explain");
  tree.runners.emplace_back(help, [&app]() {
    CLI::App* target = &app;
    for (const auto& name : help_topic) {
      CLI::App* next = nullptr;
      try {
        next = target->get_subcommand(name);
      } catch (const CLI::OptionNotFound&) {
      }
      if (!next) throw CLI::ValidationError("help", "unknown command '" + name + "'");
      target = next;
    }
    std::cout << target->help();
    return 0;
  });
  return tree;
}

}  // namespace segx::cli
