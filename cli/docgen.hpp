// Generators of man pages and shell completions from the CLI11 tree, so that every option
// documented in --help reaches the man pages and the completions with no second list to keep.
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>

namespace segx::cli {

// Writes segx.1, segx-<command>.1 for each visible command, and segx-manifest.5 into `dir`.
void generate_man_pages(const CLI::App& root, const std::filesystem::path& dir);

// Writes segx.bash, _segx (zsh) and segx.fish into `dir`.
void generate_completions(const CLI::App& root, const std::filesystem::path& dir);

// The text of segx-manifest(5) (roff), describing segx's file formats.
const char* manifest_man_page();

}  // namespace segx::cli
