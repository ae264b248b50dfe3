// Generators of man pages and shell completions from the CLI11 tree, so that every option
// documented in --help reaches the man pages and the completions with no second list to keep.
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "segx/core/config_table.hpp"

namespace segx::cli {

// Writes segx.1, segx-<command>.1 for each visible command, and segx-manifest.5 into `dir`
// (segx-config.5 comes from the config tables, which live on the LibTorch side: see
// torch/cmd_generate.cpp).
void generate_man_pages(const CLI::App& root, const std::filesystem::path& dir);

// Writes segx.bash, _segx (zsh) and segx.fish into `dir`.
void generate_completions(const CLI::App& root, const std::filesystem::path& dir);

// The text of segx-manifest(5) (roff), describing segx's file formats.
const char* manifest_man_page();

// The text of segx-config(5) (roff): every key of the model and training configs, from the
// tables that read them.
std::string config_man_page(const std::vector<config::KeyDoc>& model_keys,
                            const std::vector<config::KeyDoc>& train_keys);

// Text escaped for roff (backslashes, hyphens, a leading dot or quote).
std::string roff(std::string text);

}  // namespace segx::cli
