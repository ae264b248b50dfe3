// detectron2 YAML configs resolved as detectron2 resolves them: the repository's defaults
// (get_cfg() + add_deeplab_config() + add_*_config(), built in), the file and its _BASE_ chain
// (fvcore's load_yaml_with_base), yacs' merge rules and type coercion, then KEY VALUE overrides
// (merge_from_list). Nothing in a file is ever evaluated: a Python tag
// (!!python/object/apply:eval ...) stays an unevaluated expression that whoever reads the key
// must refuse. Torch-free; model/import/detectron2 maps the result to a segx model config.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace segx::io {

// A config value as Python holds it after PyYAML and yacs: None, bool, int, float, str, list,
// tuple, a config node (ordered keys); a Python-tagged YAML value that was not evaluated
// (Python); or a value of a type no yacs key holds (Other: a dict or set literal in an override,
// a YAML timestamp, an integer beyond 64 bits), kept only to be refused by name.
struct Detectron2Value {
  enum class Kind { None, Bool, Int, Float, Str, List, Tuple, Node, Python, Other };
  Kind kind = Kind::None;
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0;
  // Str: the string; Python: the tag and its arguments as the file has them; Other: its type
  std::string text;
  std::vector<Detectron2Value> items;                             // List, Tuple
  std::vector<std::pair<std::string, Detectron2Value>> children;  // Node, in file order

  static Detectron2Value none() { return {}; }
  static Detectron2Value of_bool(bool b);
  static Detectron2Value of_int(std::int64_t i);
  static Detectron2Value of_float(double f);
  static Detectron2Value of_str(std::string s);
  static Detectron2Value node();

  bool is_node() const { return kind == Kind::Node; }
  bool is_sequence() const { return kind == Kind::List || kind == Kind::Tuple; }
  // A child of a node, or nullptr.
  const Detectron2Value* find(const std::string& key) const;
  Detectron2Value* find(const std::string& key);
  // A value by dotted key ("MODEL.RESNETS.DEPTH"), or nullptr.
  const Detectron2Value* at(const std::string& dotted) const;
  // Sets a child, keeping the position of an existing one (Python dict assignment).
  void set(const std::string& key, Detectron2Value value);
  // Python's type name ("int", "NoneType", "CfgNode", "python expression").
  std::string type_name() const;
  // Python's repr: 'abc', True, None, 0.1, [1, 2], (800,).
  std::string repr() const;
  bool operator==(const Detectron2Value& other) const;
  bool operator!=(const Detectron2Value& other) const { return !(*this == other); }
};

// A value in the typed JSON that scripts/detectron2_official.py writes (the built-in defaults, the
// test references): JSON's types, {"(tuple)": [...]} a tuple, {"(float)": "inf"|"-inf"|"nan"},
// {"(python)": type} a value of another type (Kind Other); other objects are config nodes.
Detectron2Value detectron2_value_from_json(const nlohmann::json& j);
Detectron2Value detectron2_value_from_json(const nlohmann::ordered_json& j);

// Every leaf (non-node value) of a tree with its dotted key, in tree order.
std::vector<std::pair<std::string, const Detectron2Value*>> detectron2_leaves(
    const Detectron2Value& tree);

struct Detectron2ResolveOptions {
  // "mask2former", "mask2former_video", "maskformer" or "oneformer"; empty: decided from the
  // config (choose_detectron2_repository).
  std::string repository;
  // detectron2's opts: KEY VALUE pairs, each value parsed as yacs parses it (a Python literal,
  // else the string itself).
  std::vector<std::string> overrides;
  std::size_t max_file_bytes = 1 << 20;  // per YAML file
  int max_base_depth = 32;               // _BASE_ nesting
};

struct Detectron2Config {
  std::string repository;          // whose defaults apply
  std::string repository_reason;   // why: "MODEL.META_ARCHITECTURE is OneFormer", ...
  Detectron2Value tree;            // the resolved config
  std::vector<std::string> files;  // the YAML files read (the config file first, then its bases)
  // Keys the files or the overrides set (dotted, leaves), in order of first mention.
  std::vector<std::string> set_keys;
};

// The repositories whose defaults segx has, and one's defaults. Error(Config) for an unknown one.
std::vector<std::string> detectron2_repositories();
const Detectron2Value& detectron2_defaults(const std::string& repository);

// The YAML of a config file with its _BASE_ chain merged as fvcore's load_yaml_with_base does
// (bases relative to the file naming them; a list of bases merged in order; a file's own keys
// over its bases'), before any defaults. `files` receives each file read.
// Errors: NoInput (the file is missing), DataError (not YAML, not a mapping, too large),
// Config (_BASE_ missing, a cycle, too deep, a remote base).
Detectron2Value load_detectron2_yaml(const std::string& path,
                                     const Detectron2ResolveOptions& options,
                                     std::vector<std::string>* files = nullptr);

// One config file's YAML held in memory, read as load_detectron2_yaml reads each file (PyYAML's
// typing, Python tags kept unevaluated) but with no _BASE_ followed: the key stays as written.
// `name` stands for its path in messages. Errors: DataError (not YAML, not a mapping, more than
// 100000 values with aliases counted at each use: real configs hold a few hundred).
Detectron2Value parse_detectron2_yaml(const std::string& text, const std::string& name);

// Which repository's defaults a config needs (its YAML as load_detectron2_yaml returns it; `path`
// may be empty), and why:
//  1. MODEL.META_ARCHITECTURE "OneFormer" -> oneformer, "VideoMaskFormer" -> mask2former_video;
//  2. else the innermost directory of `path` named Mask2Former, MaskFormer or OneFormer (as the
//     official repositories are checked out) -> that repository (mask2former_video where the
//     YAML sets a key only the video defaults have);
//  3. else the first of maskformer, mask2former, mask2former_video, oneformer whose defaults
//     define every key the YAML sets (Mask2Former's keys such as
//     MODEL.MASK_FORMER.TRANSFORMER_DECODER_NAME or a PIXEL_DECODER_NAME of
//     "MSDeformAttnPixelDecoder" rule out maskformer);
//  4. else mask2former (the merge then names the key that no default defines).
std::string choose_detectron2_repository(const Detectron2Value& yaml, const std::string& path,
                                         std::string* reason = nullptr);

// Resolves `path` as detectron2 does: Error(Config) naming the file and the key for an unknown
// key, a type yacs would refuse, an unsupported VERSION; see load_detectron2_yaml for the rest.
Detectron2Config resolve_detectron2_config(const std::string& path,
                                           const Detectron2ResolveOptions& options = {});
// The same for one config file held in memory (`name` stands for its path): a _BASE_ in it is
// Error(Config), as there is no folder to find the base in.
Detectron2Config resolve_detectron2_yaml(const std::string& text, const std::string& name,
                                         const Detectron2ResolveOptions& options = {});

// A string as yacs' _decode_cfg_value reads it: ast.literal_eval's grammar (numbers, strings,
// True/False/None, lists, tuples; dicts, sets, bytes and complex numbers give a value of Kind
// Python naming their type, which no key accepts), else the string itself.
Detectron2Value parse_detectron2_literal(const std::string& text);

// yacs' _check_and_coerce_cfg_value_type: `replacement` as the type of `original` (the same type,
// None either way, list <-> tuple), else Error(Config) "<where>: <key>: ...".
Detectron2Value coerce_detectron2_value(const Detectron2Value& replacement,
                                        const Detectron2Value& original, const std::string& key,
                                        const std::string& where);

}  // namespace segx::io
