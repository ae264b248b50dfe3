// Man page (roff) and bash/zsh/fish completion generators walking the CLI11 tree.
#include "docgen.hpp"

#include <fmt/format.h>

#include <sstream>

#include "segx/core/build_info.hpp"
#include "segx/io/stream.hpp"

namespace segx::cli {
namespace {

bool visible(const CLI::App* app) { return !app->get_group().empty(); }

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  std::vector<const CLI::App*> subs;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (visible(sub)) subs.push_back(sub);
  return subs;
}

std::vector<const CLI::Option*> options_of(const CLI::App& app) {
  std::vector<const CLI::Option*> opts;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;
    opts.push_back(opt);
  }
  return opts;
}

std::string option_label(const CLI::Option* opt) {
  std::string label;
  if (opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty())
    return opt->get_name();
  for (const auto& s : opt->get_snames()) label += (label.empty() ? "-" : ", -") + s;
  for (const auto& l : opt->get_lnames()) label += (label.empty() ? "--" : ", --") + l;
  if (opt->get_type_size() != 0 && !opt->get_type_name().empty())
    label += " " + opt->get_type_name();
  return label;
}

std::string option_description(const CLI::Option* opt) {
  std::string text = opt->get_description();
  if (!opt->get_default_str().empty() && opt->get_type_size() != 0)
    text += " (default: " + opt->get_default_str() + ")";
  if (opt->get_required()) text += " (required)";
  return text;
}

void write_options(std::ostream& out, const CLI::App& app) {
  for (const CLI::Option* opt : options_of(app)) {
    out << ".TP\n\\fB" << roff(option_label(opt)) << "\\fR\n" << roff(option_description(opt)) << "\n";
  }
}

void write_subcommand_section(std::ostream& out, const CLI::App& app, const std::string& path) {
  for (const CLI::App* sub : visible_subcommands(app)) {
    std::string sub_path = path + " " + sub->get_name();
    out << ".SS \"" << roff(sub_path) << "\"\n" << roff(sub->get_description()) << "\n";
    if (!sub->get_footer().empty()) out << ".PP\n" << roff(sub->get_footer()) << "\n";
    write_options(out, *sub);
    write_subcommand_section(out, *sub, sub_path);
  }
}

const char* kExitStatus = R"(.SH EXIT STATUS
.TP
0
success
.TP
1
a negative result: a metric under \-\-fail\-under, lint findings
.TP
64
usage error (bad command line)
.TP
65
malformed input data
.TP
66
an input file is missing or unreadable
.TP
69
a service, device or helper program is unavailable (CUDA; segx\-torch for infer and train; the segx\-codecs.so plugin for reading and writing photos)
.TP
70
internal error
.TP
73
an output cannot be created
.TP
74
input/output error
.TP
78
configuration, vocabulary or checkpoint mismatch
)";

std::string man_header(const std::string& name, int section, const std::string& summary) {
  return fmt::format(".TH \"{}\" \"{}\" \"\" \"segx {}\" \"segx manual\"\n.SH NAME\n{} \\- {}\n",
                     fmt::format("{}", name), section, SEGX_VERSION, roff(name), roff(summary));
}

std::string top_page(const CLI::App& root) {
  std::ostringstream out;
  out << man_header("segx", 1, "toolchain for universal image segmentation");
  out << ".SH SYNOPSIS\n\\fBsegx\\fR [\\fIoptions\\fR] \\fIcommand\\fR [\\fIargs\\fR]\n";
  out << ".SH DESCRIPTION\n" << roff(root.get_description()) << "\n";
  out << ".PP\nData goes to standard output and messages to standard error; \\fB\\-\\fR names "
         "standard input or output wherever a file is expected.\n";
  if (!root.get_footer().empty()) out << ".PP\n" << roff(root.get_footer()) << "\n";
  out << ".SH OPTIONS\n";
  write_options(out, root);
  out << ".SH COMMANDS\n";
  for (const CLI::App* sub : visible_subcommands(root))
    out << ".TP\n\\fBsegx " << sub->get_name() << "\\fR\n" << roff(sub->get_description()) << "\n";
  out << kExitStatus;
  out << ".SH SEE ALSO\n";
  for (const CLI::App* sub : visible_subcommands(root))
    if (sub->get_name() != "help") out << "\\fBsegx\\-" << sub->get_name() << "\\fR(1), ";
  out << "\\fBsegx\\-manifest\\fR(5), \\fBsegx\\-config\\fR(5)\n";
  return out.str();
}

std::string command_page(const CLI::App& cmd) {
  std::ostringstream out;
  std::string name = "segx-" + cmd.get_name();
  out << man_header(name, 1, cmd.get_description());
  out << ".SH SYNOPSIS\n\\fBsegx " << cmd.get_name() << "\\fR";
  if (!visible_subcommands(cmd).empty()) out << " \\fIsubcommand\\fR";
  out << " [\\fIoptions\\fR]\n";
  out << ".SH DESCRIPTION\n" << roff(cmd.get_description()) << "\n";
  if (!cmd.get_footer().empty()) out << ".PP\n" << roff(cmd.get_footer()) << "\n";
  if (!options_of(cmd).empty()) {
    out << ".SH OPTIONS\n";
    write_options(out, cmd);
  }
  if (!visible_subcommands(cmd).empty()) {
    out << ".SH SUBCOMMANDS\n";
    write_subcommand_section(out, cmd, "segx " + cmd.get_name());
  }
  out << kExitStatus << ".SH SEE ALSO\n\\fBsegx\\fR(1), \\fBsegx\\-manifest\\fR(5)";
  // The commands that read model or training configs point to their reference.
  if (cmd.get_name() == "train" || cmd.get_name() == "infer") out << ", \\fBsegx\\-config\\fR(5)";
  out << "\n";
  return out.str();
}

// ---- completions --------------------------------------------------------------------------

struct CompletionNode {
  std::string path;  // "segx convert panoptic2instance"
  std::vector<std::pair<std::string, std::string>> words;  // word, description
};

void collect(const CLI::App& app, const std::string& path, std::vector<CompletionNode>& nodes) {
  CompletionNode node{path, {}};
  for (const CLI::App* sub : visible_subcommands(app))
    node.words.emplace_back(sub->get_name(), sub->get_description());
  for (const CLI::Option* opt : options_of(app)) {
    for (const auto& l : opt->get_lnames()) node.words.emplace_back("--" + l, opt->get_description());
    for (const auto& s : opt->get_snames()) node.words.emplace_back("-" + s, opt->get_description());
  }
  nodes.push_back(node);
  for (const CLI::App* sub : visible_subcommands(app)) collect(*sub, path + " " + sub->get_name(), nodes);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string bash_script(const std::vector<CompletionNode>& nodes) {
  std::ostringstream out;
  out << "# bash completion for segx (generated by `segx generate completions`; do not edit)\n";
  out << "_segx() {\n  local cur path word i\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  path=segx\n";
  out << "  for ((i = 1; i < COMP_CWORD; i++)); do\n    word=\"${COMP_WORDS[i]}\"\n";
  out << "    case \"$path $word\" in\n";
  for (const auto& n : nodes)
    if (n.path != "segx") out << "      " << shell_quote(n.path) << ") path=\"$path $word\" ;;\n";
  out << "    esac\n  done\n  local words=\n  case \"$path\" in\n";
  for (const auto& n : nodes) {
    std::string words;
    for (const auto& w : n.words) words += (words.empty() ? "" : " ") + w.first;
    out << "    " << shell_quote(n.path) << ") words=" << shell_quote(words) << " ;;\n";
  }
  out << "  esac\n  if [[ \"$cur\" == -* || -n \"$words\" ]]; then\n";
  out << "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n  fi\n";
  out << "  [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n  return 0\n}\n";
  out << "complete -o filenames -F _segx segx\n";
  return out.str();
}

std::string zsh_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') out += '\\';
    if (c == '\'') { out += "'\\''"; continue; }
    out += c;
  }
  return out;
}

std::string zsh_script(const std::vector<CompletionNode>& nodes) {
  std::ostringstream out;
  out << "#compdef segx\n# zsh completion for segx (generated by `segx generate completions`; do not edit)\n";
  out << "_segx() {\n  local path=segx word i\n  for ((i = 2; i < CURRENT; i++)); do\n";
  out << "    word=${words[i]}\n    case \"$path $word\" in\n";
  for (const auto& n : nodes)
    if (n.path != "segx") out << "      " << shell_quote(n.path) << ") path=\"$path $word\" ;;\n";
  out << "    esac\n  done\n  local -a candidates\n  case \"$path\" in\n";
  for (const auto& n : nodes) {
    out << "    " << shell_quote(n.path) << ") candidates=(";
    for (const auto& w : n.words) out << " '" << zsh_escape(w.first) << ":" << zsh_escape(w.second) << "'";
    out << " ) ;;\n";
  }
  out << "  esac\n  _describe -t commands 'segx' candidates\n  _files\n}\n_segx \"$@\"\n";
  return out.str();
}

std::string fish_script(const CLI::App& root) {
  std::ostringstream out;
  out << "# fish completion for segx (generated by `segx generate completions`; do not edit)\n";
  std::vector<CompletionNode> nodes;
  collect(root, "segx", nodes);
  for (const auto& n : nodes) {
    // Condition: the words after "segx" in this node's path have all been seen.
    std::string cond;
    std::istringstream parts(n.path);
    std::string part;
    parts >> part;  // "segx"
    std::vector<std::string> seen;
    while (parts >> part) seen.push_back(part);
    if (seen.empty()) cond = "__fish_use_subcommand";
    else {
      for (const auto& s : seen) cond += (cond.empty() ? "" : "; and ") + std::string("__fish_seen_subcommand_from ") + s;
    }
    for (const auto& w : n.words) {
      std::string desc = w.second;
      for (auto& c : desc) if (c == '\n') c = ' ';
      if (w.first.rfind("--", 0) == 0)
        out << "complete -c segx -n " << shell_quote(cond) << " -l " << w.first.substr(2) << " -d " << shell_quote(desc) << "\n";
      else if (w.first.rfind("-", 0) == 0)
        out << "complete -c segx -n " << shell_quote(cond) << " -s " << w.first.substr(1) << " -d " << shell_quote(desc) << "\n";
      else
        out << "complete -c segx -f -n " << shell_quote(cond) << " -a " << w.first << " -d " << shell_quote(desc) << "\n";
    }
  }
  return out.str();
}

}  // namespace

std::string roff(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

void generate_man_pages(const CLI::App& root, const std::filesystem::path& dir) {
  io::write_file_atomic((dir / "segx.1").string(), top_page(root));
  for (const CLI::App* sub : visible_subcommands(root)) {
    if (sub->get_name() == "help") continue;
    io::write_file_atomic((dir / ("segx-" + sub->get_name() + ".1")).string(), command_page(*sub));
  }
  io::write_file_atomic((dir / "segx-manifest.5").string(), manifest_man_page());
}

void generate_completions(const CLI::App& root, const std::filesystem::path& dir) {
  std::vector<CompletionNode> nodes;
  collect(root, "segx", nodes);
  io::write_file_atomic((dir / "segx.bash").string(), bash_script(nodes));
  io::write_file_atomic((dir / "_segx").string(), zsh_script(nodes));
  io::write_file_atomic((dir / "segx.fish").string(), fish_script(root));
}

}  // namespace segx::cli
