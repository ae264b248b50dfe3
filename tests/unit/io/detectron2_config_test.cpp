// detectron2 config resolution: Python literals as yacs reads them, YAML 1.1 scalars as PyYAML
// types them, _BASE_ chains, yacs' merge and coercion, overrides, the repository rule, and the
// test files of tests/unit/io/data/detectron2 against what detectron2 made of them (refs.json,
// scripts/gen_detectron2_config_refs.py).
#include "segx/io/detectron2_config.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "segx/core/error.hpp"
#include "support/fixtures.hpp"

namespace segx::io {

// GoogleTest prints values by their Python repr.
void PrintTo(const Detectron2Value& v, std::ostream* os) {
  *os << v.repr();
}

namespace {

namespace fs = std::filesystem;
using Kind = Detectron2Value::Kind;

const fs::path kData = fs::path(SEGX_SOURCE_DIR) / "tests/unit/io/data/detectron2";

std::string literal(const std::string& text) {
  return parse_detectron2_literal(text).repr();
}

TEST(Detectron2Literal, NumbersAsPythonReadsThem) {
  EXPECT_EQ(literal("50"), "50");
  EXPECT_EQ(literal("-0x10"), "-16");
  EXPECT_EQ(literal("0o17"), "15");
  EXPECT_EQ(literal("0b101"), "5");
  EXPECT_EQ(literal("1_000"), "1000");
  EXPECT_EQ(literal("00"), "0");
  EXPECT_EQ(literal("1e-1"), "0.1");
  EXPECT_EQ(literal("5."), "5.0");
  EXPECT_EQ(literal(".5"), "0.5");
  EXPECT_EQ(literal("-1.5e+3"), "-1500.0");
  EXPECT_EQ(literal("1e999"), "inf");
  EXPECT_EQ(parse_detectron2_literal("1.0").kind, Kind::Float);
  EXPECT_EQ(parse_detectron2_literal("1").kind, Kind::Int);
  // Not literals: kept as the string itself.
  EXPECT_EQ(literal("012"), "'012'");
  EXPECT_EQ(literal("1_"), "'1_'");
  EXPECT_EQ(literal("1e"), "'1e'");
  EXPECT_EQ(literal("--1"), "'--1'");
  EXPECT_EQ(literal("1+2"), "'1+2'");
  EXPECT_EQ(literal("-True"), "'-True'");
  EXPECT_EQ(literal("inf"), "'inf'");
  EXPECT_EQ(literal("99999999999999999999").substr(0, 1), "<");  // beyond 64 bits: refused later
}

TEST(Detectron2Literal, StringsConstantsAndCollections) {
  EXPECT_EQ(literal("True"), "True");
  EXPECT_EQ(literal("None"), "None");
  EXPECT_EQ(literal("'cpu'"), "'cpu'");
  EXPECT_EQ(literal("\"a\" 'b'"), "'ab'");
  EXPECT_EQ(literal("'tab\\there'"), "'tab\\there'");
  EXPECT_EQ(literal("r'\\d'"), "'\\\\d'");
  EXPECT_EQ(literal("'\\x41\\u00e9'"), "'A\xc3\xa9'");
  EXPECT_EQ(literal("build_resnet_backbone"), "'build_resnet_backbone'");
  EXPECT_EQ(literal("out dir"), "'out dir'");
  EXPECT_EQ(literal("True model"), "'True model'");
  EXPECT_EQ(literal("f'x'"), "\"f'x'\"");
  EXPECT_EQ(literal("[1, 2.5, '3']"), "[1, 2.5, '3']");
  EXPECT_EQ(literal("[1, 2,]"), "[1, 2]");
  EXPECT_EQ(literal("(640,)"), "(640,)");
  EXPECT_EQ(literal("(640)"), "640");
  EXPECT_EQ(literal("()"), "()");
  EXPECT_EQ(literal("1, 2"), "(1, 2)");
  EXPECT_EQ(literal("[[1, 2], (3,)]"), "[[1, 2], (3,)]");
  EXPECT_EQ(literal(" 'RGB'  # comment"), "'RGB'");
  EXPECT_EQ(literal("[1,\n 2]"), "[1, 2]");
  EXPECT_EQ(literal("1\n2"), "'1\\n2'");
  EXPECT_EQ(literal("[1, 2][0]"), "'[1, 2][0]'");
  // Nesting beyond Python's parser limit stays a string (and does not exhaust the stack).
  EXPECT_EQ(literal(std::string(200, '[') + std::string(200, ']')).substr(0, 3), "[[[");
  EXPECT_EQ(parse_detectron2_literal(std::string(100000, '[')).kind, Kind::Str);
  // Literals of types no config key holds.
  EXPECT_EQ(literal("{1: 2}"), "<dict>");
  EXPECT_EQ(literal("{}"), "<dict>");
  EXPECT_EQ(literal("{1, 2}"), "<set>");
  EXPECT_EQ(literal("set()"), "<set>");
  EXPECT_EQ(literal("b'x'"), "<bytes>");
  EXPECT_EQ(literal("1+2j"), "<complex>");
  EXPECT_EQ(literal("..."), "<ellipsis>");
}

TEST(Detectron2Literal, ABareNameWithACommaIsNotALiteral) {
  // "res5," is a tuple of a name: literal_eval refuses it, so the string stays.
  EXPECT_EQ(literal("res5,"), "'res5,'");
}

TEST(Detectron2Coerce, AsYacs) {
  using V = Detectron2Value;
  EXPECT_EQ(coerce_detectron2_value(V::of_int(3), V::of_int(1), "K", "f").integer, 3);
  V list;
  list.kind = Kind::List;
  list.items = {V::of_int(1)};
  V tuple = list;
  tuple.kind = Kind::Tuple;
  EXPECT_EQ(coerce_detectron2_value(list, tuple, "K", "f").kind, Kind::Tuple);
  EXPECT_EQ(coerce_detectron2_value(tuple, list, "K", "f").kind, Kind::List);
  EXPECT_EQ(coerce_detectron2_value(V::none(), V::of_int(1), "K", "f").kind, Kind::None);
  EXPECT_EQ(coerce_detectron2_value(V::of_str("x"), V::none(), "K", "f").kind, Kind::Str);
  // No int <-> float, no bool <-> int, no value for a section, no section for a value.
  for (const auto& [value, original] :
       std::vector<std::pair<V, V>>{{V::of_int(1), V::of_float(1)},
                                    {V::of_float(1), V::of_int(1)},
                                    {V::of_bool(true), V::of_int(1)},
                                    {V::of_int(1), V::node()},
                                    {V::node(), V::none()}}) {
    try {
      coerce_detectron2_value(value, original, "MODEL.X", "a.yaml");
      ADD_FAILURE() << value.repr() << " for " << original.repr();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config);
      EXPECT_NE(std::string(e.what()).find("'a.yaml': MODEL.X: "), std::string::npos) << e.what();
    }
  }
}

TEST(Detectron2Defaults, EveryRepositoryIsBuiltIn) {
  for (const auto& repository : detectron2_repositories()) {
    const auto& d = detectron2_defaults(repository);
    ASSERT_NE(d.at("VERSION"), nullptr) << repository;
    EXPECT_EQ(d.at("VERSION")->integer, 2);
    EXPECT_EQ(d.at("MODEL.BACKBONE.NAME")->text, "build_resnet_backbone");
    EXPECT_EQ(d.at("INPUT.MIN_SIZE_TRAIN")->kind, Kind::Tuple);
    EXPECT_EQ(d.at("MODEL.RESNETS.STEM_TYPE")->text, "deeplab");  // add_deeplab_config
  }
  EXPECT_NE(detectron2_defaults("mask2former").at("MODEL.MASK_FORMER.TRANSFORMER_DECODER_NAME"),
            nullptr);
  EXPECT_EQ(detectron2_defaults("maskformer").at("MODEL.MASK_FORMER.TRANSFORMER_DECODER_NAME"),
            nullptr);
  EXPECT_EQ(detectron2_defaults("oneformer").at("MODEL.DiNAT.DROP_RATE")->kind, Kind::Int);
  EXPECT_EQ(detectron2_defaults("oneformer").at("MODEL.SWIN.QK_SCALE")->kind, Kind::None);
  EXPECT_THROW(detectron2_defaults("detectron3"), Error);
}

// The expected resolved value of `key`: the reference's when it differs from the defaults.
Detectron2Value expected(const nlohmann::ordered_json& diff, const Detectron2Value& defaults,
                         const std::string& key) {
  if (diff.contains(key)) return detectron2_value_from_json(diff.at(key));
  return *defaults.at(key);
}

nlohmann::ordered_json local_refs() {
  return nlohmann::ordered_json::parse(test::read_file(kData / "refs.json")).at("cases");
}

// The key a detectron2 error message names, where it names one.
std::string named_key(const std::string& message) {
  std::smatch m;
  static const std::regex key(
      R"((?:config key: |Non-existent config key: |Key )([A-Z_][A-Za-z0-9_.]*))");
  return std::regex_search(message, m, key) ? m[1].str() : "";
}

TEST(Detectron2Resolve, TestFilesResolveAsDetectron2) {
  const auto refs = local_refs();
  ASSERT_GE(refs.size(), 15u);
  for (const auto& [name, ref] : refs.items()) {
    SCOPED_TRACE(name);
    Detectron2ResolveOptions options;
    options.repository = ref.at("repository").get<std::string>();
    const std::string path = (kData / name).string();
    if (ref.contains("error")) {
      const std::string official = ref.at("error").get<std::string>();
      try {
        resolve_detectron2_config(path, options);
        ADD_FAILURE() << "segx resolved what detectron2 refused: " << official;
      } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        const std::string key = named_key(official);
        if (!key.empty()) {
          EXPECT_NE(message.find(key), std::string::npos) << message;
        }
        EXPECT_TRUE(e.kind() == ErrorKind::Config || e.kind() == ErrorKind::DataError) << message;
      }
      continue;
    }
    if (name == "error_old_version.yaml") {
      // detectron2 renames a v1 config's keys (MODEL.WEIGHT -> MODEL.WEIGHTS); segx refuses it.
      try {
        resolve_detectron2_config(path, options);
        ADD_FAILURE() << "a v1 config resolved";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Config);
        EXPECT_NE(std::string(e.what()).find("MODEL.WEIGHT"), std::string::npos) << e.what();
      }
      continue;
    }
    const auto resolved = resolve_detectron2_config(path, options);
    const auto& defaults = detectron2_defaults(options.repository);
    const auto& diff = ref.at("diff");
    int python = 0;
    for (const auto& [key, value] : detectron2_leaves(resolved.tree)) {
      if (value->kind == Kind::Python) {
        EXPECT_TRUE(diff.contains(key)) << key;  // detectron2 evaluated it; segx did not
        ++python;
        continue;
      }
      EXPECT_EQ(value->repr(), expected(diff, defaults, key).repr()) << key;
      EXPECT_EQ(*value, expected(diff, defaults, key)) << key;
    }
    for (const auto& [key, value] : diff.items()) EXPECT_NE(resolved.tree.at(key), nullptr) << key;
    if (name == "scalars.yaml") {
      EXPECT_EQ(python, 1);
    }
  }
}

TEST(Detectron2Resolve, PythonTagsAreKeptUnevaluated) {
  Detectron2ResolveOptions options;
  options.repository = "mask2former";
  const auto r = resolve_detectron2_config((kData / "scalars.yaml").string(), options);
  const auto* v = r.tree.at("INPUT.MIN_SIZE_TRAIN");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->kind, Kind::Python);
  EXPECT_EQ(v->text, "!!python/object/apply:eval [\"[int(x * 0.1 * 512) for x in range(5, 21)]\"]");
  // The files in order (the config first, then its bases depth first) and the keys they set.
  ASSERT_EQ(r.files.size(), 4u);
  EXPECT_EQ(fs::path(r.files[1]).filename(), "list_of_bases.yaml");
  EXPECT_EQ(fs::path(r.files[3]).filename(), "second.yaml");
  EXPECT_NE(std::find(r.set_keys.begin(), r.set_keys.end(), "SOLVER.IMS_PER_BATCH"),
            r.set_keys.end());
}

// A one-line Error of this kind whose message contains each of `parts`.
void expect_error(const std::function<void()>& f, ErrorKind kind,
                  const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

Detectron2Config resolve_in(const fs::path& dir, const std::string& name,
                            std::vector<std::string> overrides = {}) {
  Detectron2ResolveOptions options;
  options.repository = "mask2former";
  options.overrides = std::move(overrides);
  return resolve_detectron2_config((dir / name).string(), options);
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(Detectron2Resolve, ErrorsNameTheFileAndTheKey) {
  const fs::path dir = test::temp_dir("d2cfg_errors");
  write(dir / "base.yaml", "MODEL:\n  RESNETS:\n    DEPHT: 50\n");
  write(dir / "top.yaml", "_BASE_: base.yaml\nSOLVER:\n  MAX_ITER: 1\n");
  expect_error([&] { resolve_in(dir, "top.yaml"); }, ErrorKind::Config,
               {"base.yaml': unknown key MODEL.RESNETS.DEPHT"});
  write(dir / "type.yaml", "SOLVER:\n  BASE_LR: 1\n");
  expect_error([&] { resolve_in(dir, "type.yaml"); }, ErrorKind::Config,
               {"type.yaml': SOLVER.BASE_LR: 1 is an int, where detectron2 has a float (0.001)"});
  write(dir / "cycle1.yaml", "_BASE_: cycle2.yaml\n");
  write(dir / "cycle2.yaml", "_BASE_: [cycle1.yaml]\n");
  expect_error([&] { resolve_in(dir, "cycle1.yaml"); }, ErrorKind::Config,
               {"_BASE_ cycle", "cycle1.yaml -> ", "cycle2.yaml -> "});
  write(dir / "missing.yaml", "_BASE_: nowhere/base.yaml\n");
  expect_error([&] { resolve_in(dir, "missing.yaml"); }, ErrorKind::Config,
               {"missing.yaml': _BASE_ '", "nowhere/base.yaml' is not a file"});
  expect_error([&] { resolve_in(dir, "absent.yaml"); }, ErrorKind::NoInput, {"absent.yaml"});
  write(dir / "remote.yaml", "_BASE_: https://example.com/base.yaml\n");
  expect_error([&] { resolve_in(dir, "remote.yaml"); }, ErrorKind::Config,
               {"does not fetch remote configs"});
  write(dir / "syntax.yaml", "MODEL: [1, 2\n");
  expect_error([&] { resolve_in(dir, "syntax.yaml"); }, ErrorKind::DataError,
               {"syntax.yaml': not valid YAML: line "});
  write(dir / "list.yaml", "- 1\n- 2\n");
  expect_error([&] { resolve_in(dir, "list.yaml"); }, ErrorKind::DataError, {"not a YAML mapping"});
  write(dir / "empty.yaml", "# nothing\n");
  expect_error([&] { resolve_in(dir, "empty.yaml"); }, ErrorKind::DataError, {"empty"});
  write(dir / "two.yaml", "SEED: 1\n---\nSEED: 2\n");
  expect_error([&] { resolve_in(dir, "two.yaml"); }, ErrorKind::DataError, {"2 YAML documents"});
  write(dir / "tag.yaml", "SEED: !custom 1\n");
  expect_error([&] { resolve_in(dir, "tag.yaml"); }, ErrorKind::DataError,
               {"tag.yaml': line 1: SEED: YAML tag '!custom'"});
  write(dir / "merge.yaml", "a: &x {SEED: 1}\n<<: *x\n");
  expect_error([&] { resolve_in(dir, "merge.yaml"); }, ErrorKind::DataError, {"merge keys"});
  write(dir / "intkey.yaml", "MODEL:\n  1: 2\n");
  expect_error([&] { resolve_in(dir, "intkey.yaml"); }, ErrorKind::Config,
               {"key 1 under 'MODEL' is not a string"});
  write(dir / "node.yaml", "MODEL:\n  SWIN: !!python/object/apply:eval ['{}']\n");
  expect_error([&] { resolve_in(dir, "node.yaml"); }, ErrorKind::Config,
               {"MODEL.SWIN", "Python expression where detectron2 has a config section"});
  write(dir / "version.yaml", "VERSION: 3\n");
  expect_error([&] { resolve_in(dir, "version.yaml"); }, ErrorKind::Config,
               {"VERSION 3: newer than detectron2's 2"});
  write(dir / "base_type.yaml", "_BASE_: 3\n");
  expect_error([&] { resolve_in(dir, "base_type.yaml"); }, ErrorKind::Config, {"_BASE_ 3"});
}

TEST(Detectron2Resolve, LimitsOnSizeAndDepth) {
  const fs::path dir = test::temp_dir("d2cfg_limits");
  write(dir / "big.yaml", "OUTPUT_DIR: '" + std::string(2000, 'x') + "'\n");
  Detectron2ResolveOptions options;
  options.repository = "mask2former";
  options.max_file_bytes = 1000;
  expect_error([&] { resolve_detectron2_config((dir / "big.yaml").string(), options); },
               ErrorKind::DataError, {"at most 1000"});
  for (int i = 0; i < 40; ++i)
    write(dir / ("d" + std::to_string(i) + ".yaml"),
          "_BASE_: d" + std::to_string(i + 1) + ".yaml\n");
  write(dir / "d40.yaml", "SEED: 1\n");
  expect_error([&] { resolve_in(dir, "d0.yaml"); }, ErrorKind::Config, {"deeper than 32"});
  // A long plain scalar skips the resolvers' regular expressions (which recurse per character).
  write(dir / "long.yaml", "OUTPUT_DIR: " + std::string(300000, 'x') + "\n");
  EXPECT_EQ(resolve_in(dir, "long.yaml").tree.at("OUTPUT_DIR")->text.size(), 300000u);
  // Deeply nested flow collections stop in the YAML parser, not in a stack overflow.
  write(dir / "nested.yaml", "SEED: " + std::string(100000, '[') + "\n");
  expect_error([&] { resolve_in(dir, "nested.yaml"); }, ErrorKind::DataError, {"nested.yaml"});
}

TEST(Detectron2Resolve, Overrides) {
  const fs::path dir = test::temp_dir("d2cfg_overrides");
  write(dir / "c.yaml", "MODEL:\n  RESNETS:\n    DEPTH: 101\n");
  const auto r = resolve_in(dir, "c.yaml",
                            {"MODEL.RESNETS.DEPTH", "152", "SOLVER.STEPS", "[1, 2]",
                             "MODEL.WEIGHTS", "x.pkl", "MODEL.SWIN.QK_SCALE", "0.5"});
  EXPECT_EQ(r.tree.at("MODEL.RESNETS.DEPTH")->integer, 152);
  EXPECT_EQ(r.tree.at("SOLVER.STEPS")->repr(), "(1, 2)");
  EXPECT_EQ(r.tree.at("MODEL.WEIGHTS")->text, "x.pkl");
  EXPECT_EQ(r.tree.at("MODEL.SWIN.QK_SCALE")->number, 0.5);
  EXPECT_EQ(r.set_keys.back(), "MODEL.SWIN.QK_SCALE");
  expect_error(
      [&] {
        resolve_in(dir, "c.yaml", {"MODEL.RESNETS.DEPHT", "1"});
      },
      ErrorKind::Config, {"override MODEL.RESNETS.DEPHT: unknown key"});
  expect_error(
      [&] {
        resolve_in(dir, "c.yaml", {"MODEL.DEVICE.X", "1"});
      },
      ErrorKind::Config, {"override MODEL.DEVICE.X: unknown key"});
  expect_error(
      [&] {
        resolve_in(dir, "c.yaml", {"MODEL.RESNETS.DEPTH", "fifty"});
      },
      ErrorKind::Config, {"override MODEL.RESNETS.DEPTH': MODEL.RESNETS.DEPTH: 'fifty' is a str"});
  expect_error(
      [&] {
        resolve_in(dir, "c.yaml", {"MODEL.PIXEL_MEAN", "{1: 2}"});
      },
      ErrorKind::Config, {"MODEL.PIXEL_MEAN: <dict> is a dict"});
  expect_error([&] { resolve_in(dir, "c.yaml", {"MODEL.RESNETS.DEPTH"}); }, ErrorKind::Usage,
               {"KEY VALUE pairs"});
  expect_error(
      [&] {
        resolve_in(dir, "c.yaml", {"_BASE_", "x.yaml"});
      },
      ErrorKind::Config, {"reserved key '_BASE_'"});
}

TEST(Detectron2Repository, ChosenFromTheConfig) {
  auto yaml = [](const std::string& text) {
    const fs::path dir = test::temp_dir("d2cfg_repo");
    write(dir / "c.yaml", text);
    return load_detectron2_yaml((dir / "c.yaml").string(), {});
  };
  std::string why;
  EXPECT_EQ(choose_detectron2_repository(yaml("MODEL:\n  META_ARCHITECTURE: OneFormer\n"),
                                         "/x/Mask2Former/configs/a.yaml", &why),
            "oneformer");
  EXPECT_EQ(why, "MODEL.META_ARCHITECTURE is OneFormer");
  EXPECT_EQ(
      choose_detectron2_repository(yaml("MODEL:\n  META_ARCHITECTURE: VideoMaskFormer\n"), ""),
      "mask2former_video");
  const auto maskformer_yaml = yaml("MODEL:\n  META_ARCHITECTURE: MaskFormer\n");
  EXPECT_EQ(choose_detectron2_repository(maskformer_yaml, "/src/MaskFormer/configs/a/b.yaml"),
            "maskformer");
  EXPECT_EQ(choose_detectron2_repository(maskformer_yaml, "/src/Mask2Former/configs/a/b.yaml"),
            "mask2former");
  EXPECT_EQ(choose_detectron2_repository(maskformer_yaml, "/src/OneFormer/configs/b.yaml"),
            "oneformer");
  EXPECT_EQ(choose_detectron2_repository(maskformer_yaml, "", &why), "maskformer");
  EXPECT_EQ(why, "MaskFormer's defaults are the first to define every key the config sets");
  EXPECT_EQ(choose_detectron2_repository(
                yaml("MODEL:\n  MASK_FORMER:\n    TRANSFORMER_DECODER_NAME: X\n"), ""),
            "mask2former");
  EXPECT_EQ(
      choose_detectron2_repository(
          yaml("MODEL:\n  SEM_SEG_HEAD:\n    PIXEL_DECODER_NAME: MSDeformAttnPixelDecoder\n"), ""),
      "mask2former");
  EXPECT_EQ(choose_detectron2_repository(yaml("INPUT:\n  SAMPLING_FRAME_NUM: 2\n"),
                                         "/src/Mask2Former/configs/youtubevis_2019/a.yaml"),
            "mask2former_video");
  EXPECT_EQ(choose_detectron2_repository(yaml("MODEL:\n  CONVNEXT:\n    LSIT: 0.0\n"), ""),
            "oneformer");
  EXPECT_EQ(choose_detectron2_repository(yaml("MODEL:\n  NO_SUCH_KEY: 1\n"), "", &why),
            "mask2former");
  EXPECT_EQ(why, "no repository's defaults define every key the config sets");
}

}  // namespace
}  // namespace segx::io
