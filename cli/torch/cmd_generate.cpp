// `segx generate man|completions DIR` (hidden): writes the man pages and shell completions that
// are committed under man/ and completions/; tests/check_generated_docs.cmake keeps them in sync.
// It runs in segx-torch, where the model and training config tables are, for segx-config(5).
#include <filesystem>

#include "command.hpp"
#include "docgen.hpp"
#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/model/config.hpp"
#include "segx/train/train_config.hpp"

namespace segx::cli {

Runner setup_generate(CLI::App& app) {
  struct Options {
    std::string what;
    std::string dir;
  };
  auto opts = std::make_shared<Options>();
  app.add_option("what", opts->what, "what to generate")->required()->check(CLI::IsMember({"man", "completions"}));
  app.add_option("dir", opts->dir, "output directory")->required();
  return [opts]() {
    std::filesystem::create_directories(opts->dir);
    // The docs describe the whole tree as a user sees it, so build a fresh one.
    auto tree = build_cli();
    if (opts->what == "man") {
      generate_man_pages(*tree.app, opts->dir);
      io::write_file_atomic(
          (std::filesystem::path(opts->dir) / "segx-config.5").string(),
          config_man_page(model::model_config_keys(), train::train_config_keys()));
    } else {
      generate_completions(*tree.app, opts->dir);
    }
    return 0;
  };
}

}  // namespace segx::cli
