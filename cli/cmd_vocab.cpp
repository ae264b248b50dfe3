// `segx vocab`: build a unified label space from several datasets' categories, and check, diff
// and apply it. Options only; the work is in lib/segx/vocab.
#include <iostream>

#include "command.hpp"
#include "nested.hpp"
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/stream.hpp"
#include "segx/vocab/apply.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/check.hpp"
#include "segx/vocab/diff.hpp"
#include "segx/vocab/embeddings.hpp"
#include "segx/vocab/sources.hpp"
#include "segx/vocab/wordnet.hpp"

namespace segx::cli {

namespace {

struct EmbeddingOptions {
  std::string vectors;  // user vectors; empty: built-in hashed n-grams
  int dim = 256;
  std::string output;
};

void add_embedding_options(CLI::App& app, EmbeddingOptions& o) {
  app.add_option(
         "--vectors", o.vectors,
         "class vectors to use instead of the built-in ones: JSON {\"class name\": [numbers]} or "
         "safetensors (1-D tensor per class, or [N, D] with metadata \"names\")")
      ->type_name("FILE");
  app.add_option("--dim", o.dim, "dimension of the built-in hashed character n-gram vectors")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
}

void write_embeddings(const vocab::Vocabulary& v, const EmbeddingOptions& o) {
  vocab::ClassEmbeddings e =
      o.vectors.empty() ? vocab::default_embeddings(v, o.dim)
                        : vocab::embeddings_from_table(v, vocab::load_vector_table(o.vectors));
  vocab::write_embeddings(o.output, e);
  log::info("wrote {} class vectors of dimension {} ({}) to '{}'", e.ids.size(), e.dim, e.method,
            o.output);
}

void reject_two_stdins(const std::vector<std::string>& inputs) {
  int stdins = 0;
  for (const auto& in : inputs) {
    auto eq = in.find('=');
    std::string path = eq == std::string::npos ? in : in.substr(eq + 1);
    stdins += io::is_std_stream(path);
  }
  if (stdins > 1) fail(ErrorKind::Usage, "stdin ('-') can be read only once");
}

Runner setup_build(CLI::App& app) {
  struct Options {
    std::vector<std::string> inputs;
    std::string output = "-";
    std::string policy = "name";
    std::string synonyms;
    bool merge_suffixed = false;
    std::string wordnet_dir = vocab::WordNet::kDefaultDir;
    bool strict = false;
    EmbeddingOptions embeddings;
  };
  auto o = std::make_shared<Options>();
  app.add_option("inputs", o->inputs,
                 "category lists to merge, in priority order: segx manifests, COCO JSON or "
                 "datasets/*.json; NAME=PATH names the dataset; - reads stdin")
      ->required();
  app.add_option("-o,--output", o->output, "vocabulary JSON to write (- for stdout)")
      ->capture_default_str();
  app.add_option("--policy", o->policy,
                 "merge policy: none (all classes distinct), name (normalised names), synonyms "
                 "(--synonyms table, then names), wordnet (names, then WordNet synsets)")
      ->check(CLI::IsMember({"none", "name", "synonyms", "wordnet"}))
      ->capture_default_str();
  app.add_option(
         "--synonyms", o->synonyms,
         "synonym/taxonomy table: TSV 'unified<TAB>name...' or JSON {\"unified\": [names]}; "
         "names may be qualified as dataset:name")
      ->type_name("FILE");
  app.add_flag(
      "--merge-suffixed", o->merge_suffixed,
      "merge COCO '-merged'/'-other'/'-stuff' classes with the plain name (reported either way)");
  app.add_option("--wordnet-dir", o->wordnet_dir,
                 "WordNet database directory (wordnet-base package)")
      ->capture_default_str();
  app.add_flag("--strict", o->strict, "exit 1 when the report lists conflicts");
  app.add_option(
         "--embeddings", o->embeddings.output,
         "also write the class embeddings to this file (.safetensors: class_embeddings [N, D] F32 "
         "+ class_ids; otherwise JSON)")
      ->type_name("FILE");
  add_embedding_options(app, o->embeddings);
  app.footer(
      "Each category either opens a class or joins one; report.decisions says which and why, "
      "report.conflicts lists thing/stuff disagreements, suffix matches kept apart, splits and "
      "ambiguities. The same inputs always give the same bytes.");
  return [o]() {
    reject_two_stdins(o->inputs);
    vocab::BuildOptions options;
    options.policy = o->policy;
    options.merge_suffixed = o->merge_suffixed;
    if (!o->synonyms.empty()) {
      options.synonyms = vocab::SynonymTable::load(o->synonyms);
      options.synonyms_name = std::filesystem::path(o->synonyms).filename().string();
    }
    options.wordnet_dir = o->wordnet_dir;
    std::vector<vocab::CategoryList> lists;
    std::vector<std::string> sources;
    for (const auto& spec : o->inputs) {
      auto loaded = vocab::load_categories(spec);
      lists.push_back(std::move(loaded.list));
      sources.push_back(std::move(loaded.source));
    }
    auto v = vocab::build_vocabulary(lists, sources, options);
    io::write_file_atomic(o->output, vocab::stable_json(vocab::to_json(v)));
    log::info("{} classes from {} datasets, {} conflicts", v.classes.size(), v.datasets.size(),
              v.conflicts.size());
    if (!o->embeddings.output.empty()) write_embeddings(v, o->embeddings);
    return o->strict && !v.conflicts.empty() ? exit_code(ErrorKind::Negative) : 0;
  };
}

Runner setup_embed(CLI::App& app) {
  struct Options {
    std::string vocabulary;
    EmbeddingOptions embeddings;
  };
  auto o = std::make_shared<Options>();
  o->embeddings.output = "-";
  app.add_option("vocabulary", o->vocabulary, "vocabulary JSON (from segx vocab build)")
      ->required();
  app.add_option("-o,--output", o->embeddings.output,
                 "embeddings to write: .safetensors, else JSON (- for stdout)")
      ->capture_default_str();
  add_embedding_options(app, o->embeddings);
  return [o]() {
    write_embeddings(vocab::load_vocabulary(o->vocabulary), o->embeddings);
    return 0;
  };
}

Runner setup_check(CLI::App& app) {
  struct Options {
    std::string vocabulary;
    std::string input = "-";
    std::string dataset;
    std::string output = "-";
  };
  auto o = std::make_shared<Options>();
  app.add_option("vocabulary", o->vocabulary, "vocabulary JSON (from segx vocab build)")
      ->required();
  app.add_option("input", o->input, "segx manifest or COCO JSON to check (- for stdin)")
      ->capture_default_str();
  app.add_option("--dataset", o->dataset,
                 "which vocabulary dataset the input is (default: its header)");
  app.add_option("-o,--output", o->output, "findings report JSON (- for stdout)")
      ->capture_default_str();
  app.footer("Exit status 1 when there are findings.");
  return [o]() {
    if (io::is_std_stream(o->vocabulary) && io::is_std_stream(o->input))
      fail(ErrorKind::Usage, "stdin ('-') can be read only once");
    auto v = vocab::load_vocabulary(o->vocabulary);
    auto in = io::open_input(o->input);
    auto result = vocab::check_manifest(v, *in, o->input, o->dataset);
    io::write_file_atomic(o->output, vocab::stable_json(result.report));
    if (result.findings > 0) {
      log::warn("{} findings for '{}'", result.findings, o->input);
      return exit_code(ErrorKind::Negative);
    }
    return 0;
  };
}

Runner setup_diff(CLI::App& app) {
  struct Options {
    std::string before, after, output = "-";
    bool exit_code = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("before", o->before, "the old vocabulary JSON")->required();
  app.add_option("after", o->after, "the new vocabulary JSON")->required();
  app.add_option("-o,--output", o->output, "diff report JSON (- for stdout)")
      ->capture_default_str();
  app.add_flag("--exit-code", o->exit_code, "exit 1 when the vocabularies differ");
  return [o]() {
    if (io::is_std_stream(o->before) && io::is_std_stream(o->after))
      fail(ErrorKind::Usage, "stdin ('-') can be read only once");
    auto d = vocab::diff_vocabularies(vocab::load_vocabulary(o->before),
                                      vocab::load_vocabulary(o->after));
    io::write_file_atomic(o->output, vocab::stable_json(d.report));
    return o->exit_code && !d.empty() ? exit_code(ErrorKind::Negative) : 0;
  };
}

Runner setup_apply(CLI::App& app) {
  struct Options {
    std::string vocabulary;
    std::string input = "-";
    std::string output = "-";
    vocab::ApplyOptions apply;
  };
  auto o = std::make_shared<Options>();
  app.add_option("vocabulary", o->vocabulary, "vocabulary JSON (from segx vocab build)")
      ->required();
  app.add_option("input", o->input,
                 "segx manifest, COCO JSON or COCO results to rewrite (- for stdin)")
      ->capture_default_str();
  app.add_option("-o,--output", o->output, "rewritten file (- for stdout)")->capture_default_str();
  app.add_flag(
      "--inverse", o->apply.inverse,
      "map unified ids back to the dataset's own ids (e.g. predictions, for its own tools)");
  app.add_option("--dataset", o->apply.dataset,
                 "which vocabulary dataset the input is (default: its header, else the file name)");
  app.add_flag("--drop-unmapped", o->apply.drop_unmapped,
               "with --inverse: drop segments and annotations whose class the dataset lacks "
               "(default: error)");
  return [o]() {
    if (io::is_std_stream(o->vocabulary) && io::is_std_stream(o->input))
      fail(ErrorKind::Usage, "stdin ('-') can be read only once");
    auto v = vocab::load_vocabulary(o->vocabulary);
    auto in = io::open_input(o->input);
    io::AtomicOutput out(o->output);
    auto stats = vocab::apply_vocabulary(v, *in, o->input, out.stream(), o->apply);
    out.commit();
    log::info("{}: {} records, {} category ids rewritten, {} dropped", stats.dataset, stats.records,
              stats.rewritten, stats.dropped);
    return 0;
  };
}

}  // namespace

Runner setup_vocab(CLI::App& app) {
  app.footer("A vocabulary is a versioned JSON artifact: build it, review its report, commit it.");
  return add_nested_commands(
      app, {
               {"build", "merge datasets' categories into one vocabulary with a reviewable report",
                setup_build},
               {"check", "check a manifest against a vocabulary: unknown ids, missing classes",
                setup_check},
               {"diff", "compare two vocabularies: added, removed, renamed, remapped", setup_diff},
               {"apply", "rewrite category ids into the unified space, or back with --inverse",
                setup_apply},
               {"embed", "write class embeddings for a vocabulary (built-in or user vectors)",
                setup_embed},
           });
}

}  // namespace segx::cli
