// The one command table of segx, and the construction of the CLI11 tree from it. Compiled once
// into segx and once into segx-torch (with SEGX_WITH_TORCH): see SEGX_TORCH_SETUP.
#include "command.hpp"

#include <cstdlib>
#include <string>

#include "segx/core/limits.hpp"

namespace segx::cli {
namespace {

// A command that runs in segx-torch accepts anything here (--help included): segx-torch parses
// the same command line again with the command's real options.
Runner forward_to_torch_binary(CLI::App& sub) {
  sub.prefix_command();
  sub.allow_extras();
  sub.fallthrough(false);  // unknown options stay with the command instead of reaching segx's
  sub.set_help_flag();
  return []() -> int { run_in_torch_binary(); };
}

bool runs_in_torch_binary(const std::string& name) {
  for (const auto& cmd : commands())
    if (cmd.name == name) return !cmd.setup;
  return false;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"convert", "convert datasets between formats, generate synthetic data, lint", setup_convert},
      {"eval", "evaluate predictions: PQ, mIoU, COCO AP", setup_eval},
      {"vocab", "build, check, diff and apply a unified label space across datasets", setup_vocab},
      {"infer",
       "run Mask2Former/OneFormer/MaskFormer on images: panoptic, instance or semantic output",
       SEGX_TORCH_SETUP(setup_infer)},
      {"train",
       "train Mask2Former, OneFormer or MaskFormer from a JSON description: datasets, model, "
       "solver",
       SEGX_TORCH_SETUP(setup_train)},
      {"model",
       "import official Mask2Former/MaskFormer/OneFormer checkpoints (detectron2, Hugging Face)",
       SEGX_TORCH_SETUP(setup_model)},
      {"visualize", "draw overlays, comparisons, contact sheets and plots", setup_visualize},
      // The docs describe every command's options, those of the LibTorch commands included.
      {"generate", "generate man pages and shell completions from this CLI",
       SEGX_TORCH_SETUP(setup_generate), true},
  };
  return table;
}

void prepare_process() {
#ifndef SEGX_WITH_TORCH
  stop_idle_blas_threads();
#endif
}

void apply_resource_limits(const CliTree& tree) {
  auto limits = resource_limits_from_environment();
  if (*tree.max_pixels > 0) limits.max_pixels = *tree.max_pixels;
  if (*tree.max_json_bytes > 0) limits.max_json_bytes = *tree.max_json_bytes;
  set_resource_limits(limits);
  // OpenCV decodes JPEGs and other photos (segx-codecs.so): the same limit there, unless the
  // user has set OpenCV's own variable.
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(limits.max_pixels).c_str(),
         /*overwrite=*/0);
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
  static std::uint64_t max_pixels = 0, max_json_bytes = 0;
  app.add_option("--max-pixels", max_pixels,
                 "refuse (exit 65) an image or mask that declares more pixels than this, before "
                 "allocating it (default: SEGX_MAX_PIXELS, else 268435456 = 2^28)");
  app.add_option("--max-json-bytes", max_json_bytes,
                 "refuse (exit 65) a JSON file or manifest line longer than this many bytes "
                 "(default: SEGX_MAX_JSON_BYTES, else 17179869184 = 16 GiB)");
  tree.max_pixels = &max_pixels;
  tree.max_json_bytes = &max_json_bytes;
  tree.version_flag = &version;
  tree.verbosity = &verbosity;
  tree.quiet = &quiet;
  for (const auto& cmd : commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.summary);
    if (cmd.hidden) sub->group("");
    tree.runners.emplace_back(sub, cmd.setup ? cmd.setup(*sub) : forward_to_torch_binary(*sub));
  }
  // Set after the subcommands: CLI11 copies a parent's footer into subcommands added later.
  app.footer(
      "Outputs: a file named on the command line (-o FILE, --json FILE) is replaced atomically; "
      "a non-empty --out-dir is written into only with --overwrite (exit 73 otherwise); nothing "
      "else is replaced or deleted. Deprecated spellings of options warn on stderr for one "
      "release (CHANGELOG.md).");
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
      if (target == &app && runs_in_torch_binary(name)) run_in_torch_binary();
      target = next;
    }
    std::cout << target->help();
    return 0;
  });
  return tree;
}

}  // namespace segx::cli
