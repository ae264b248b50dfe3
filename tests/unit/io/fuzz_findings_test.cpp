// Inputs that tests/fuzz found breaking the io readers, kept as regression tests (the sanitizer
// findings among them fail only in the fuzz build; here they pin the behaviour around the fix):
// an empty PLTE chunk (memcpy from a null pointer), a detectron2 YAML mapping key read through
// a reference into yaml-cpp's iterator proxy (used after its scope), and a Python-tagged YAML
// scalar that is not UTF-8 (an exception from nlohmann_json's dump escaping every reader), a
// safetensors shape whose element count overflows int64, nested YAML aliases expanding to 10^9
// values, a document starting with ',', an explicit !!int on text with a colon (base 60), an
// alias inside its own anchor (a cycle followed until the stack overflowed).
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <string>

#include "segx/core/error.hpp"
#include "segx/io/detectron2_config.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/safetensors.hpp"

namespace segx::io {
namespace {

std::string chunk(const std::string& type, const std::string& data) {
  std::string out;
  for (int s : {24, 16, 8, 0}) out += char((data.size() >> s) & 0xff);
  const std::string body = type + data;
  out += body;
  const auto crc = static_cast<uint32_t>(libdeflate_crc32(0, body.data(), body.size()));
  for (int s : {24, 16, 8, 0}) out += char((crc >> s) & 0xff);
  return out;
}

// A 2x1 8-bit PNG of colour type `color_type` (grey or palette) with an empty PLTE chunk.
std::string png_with_empty_plte(char color_type) {
  const std::string ihdr{0, 0, 0, 2, 0, 0, 0, 1, 8, color_type, 0, 0, 0};
  const std::string raw{0, 1, 2};  // filter 0, two samples
  std::string z(64, '\0');
  auto* c = libdeflate_alloc_compressor(6);
  z.resize(libdeflate_zlib_compress(c, raw.data(), raw.size(), z.data(), z.size()));
  libdeflate_free_compressor(c);
  return "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("PLTE", "") + chunk("IDAT", z) +
         chunk("IEND", "");
}

TEST(FuzzFindings, EmptyPaletteChunk) {
  const std::string grey = png_with_empty_plte(0);
  const auto* bytes = reinterpret_cast<const uint8_t*>(grey.data());
  const Image image = decode_png(bytes, grey.size(), "grey.png");  // a grey image ignores PLTE
  EXPECT_EQ(image.data, (std::vector<uint8_t>{1, 2}));
  PanopticIds ids;
  decode_panoptic_png(bytes, grey.size(), "grey.png", ids);
  EXPECT_EQ(ids.ids, (std::vector<uint32_t>{1, 2}));
  const std::string palette = png_with_empty_plte(3);
  try {
    decode_png(reinterpret_cast<const uint8_t*>(palette.data()), palette.size(), "p.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find("palette image without PLTE"), std::string::npos);
  }
}

TEST(FuzzFindings, YamlMappingKeysOutliveTheIterator) {
  const auto tree =
      parse_detectron2_yaml("MODEL:\n  BACKBONE:\n    FREEZE_AT: 0\n  W: 'x'\n", "c.yaml");
  ASSERT_NE(tree.at("MODEL.BACKBONE.FREEZE_AT"), nullptr);
  EXPECT_EQ(tree.at("MODEL.BACKBONE.FREEZE_AT")->integer, 0);
  EXPECT_EQ(tree.at("MODEL.W")->text, "x");
}

TEST(FuzzFindings, PythonTagOnAScalarThatIsNotUtf8) {
  const std::string text = "INPUT:\n  MIN_SIZE_TRAIN: !!python/name:x \"a\x98\"\n";
  const auto tree = parse_detectron2_yaml(text, "c.yaml");
  const auto* v = tree.at("INPUT.MIN_SIZE_TRAIN");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->kind, Detectron2Value::Kind::Python);
  EXPECT_NE(v->text.find("\xef\xbf\xbd"), std::string::npos) << v->text;  // U+FFFD
  // Resolved, the key keeps the unevaluated expression for whoever reads it to refuse.
  const auto config = resolve_detectron2_yaml(text, "c.yaml");
  EXPECT_EQ(config.tree.at("INPUT.MIN_SIZE_TRAIN")->kind, Detectron2Value::Kind::Python);
}

// Nested YAML aliases ("billion laughs"): yaml-cpp shares the anchored node, the reader copied
// it at each use, 10^9 values from nine lines; fuzz_detectron2_yaml ran for over 20 minutes on
// such an input. Now a DataError naming the file once 100000 values are read.
TEST(FuzzFindings, YamlAliasesExpandingBeyondAnyConfig) {
  std::string text = "a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  for (int i = 1; i < 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  for (const bool resolve : {false, true}) {
    try {
      if (resolve)
        resolve_detectron2_yaml(text, "laughs.yaml");
      else
        parse_detectron2_yaml(text, "laughs.yaml");
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError);
      EXPECT_NE(std::string(e.what()).find("'laughs.yaml'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("more than 100000 values"), std::string::npos)
          << e.what();
    }
  }
  // Aliases a config could use stay readable, and a key repeated in a mapping keeps its place.
  const auto tree = parse_detectron2_yaml("A: &x [1, 2]\nB: *x\nC: 1\nA: 3\n", "ok.yaml");
  ASSERT_EQ(tree.children.size(), 3u);
  EXPECT_EQ(tree.children[0].first, "A");
  EXPECT_EQ(tree.children[0].second.integer, 3);
  EXPECT_EQ(tree.at("B")->items.size(), 2u);
}

// An alias inside its own anchor ("&x [*x]", found by fuzz_detectron2_yaml as
// "A: &x [1, 2BDDD: *x, ...]") makes yaml-cpp's tree a cycle; the reader followed it until the
// stack overflowed. Aliases that nest without a cycle still go deeper than yaml-cpp's own limit on
// literal nesting. Now both are a DataError naming the file and the line, also inside a
// Python-tagged value (read only to print it).
TEST(FuzzFindings, YamlAliasInsideItsOwnAnchorAndNestingWithoutEnd) {
  const auto error_of = [](const std::string& text, bool resolve) -> std::string {
    try {
      if (resolve)
        resolve_detectron2_yaml(text, "cycle.yaml");
      else
        parse_detectron2_yaml(text, "cycle.yaml");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError) << e.what();
      return e.what();
    }
    return "no error";
  };
  for (const bool resolve : {false, true}) {
    for (const std::string text :
         {"A: &x [1, 2BDDDDDDDDDDDDDDDDDDDDD: *x, 0o7, 1_000]\n", "A:\n  B: &x [1, [*x]]\n",
          "A: &x {B: *x}\n", "A: !!python/tuple &x [1, *x]\n",
          "A: !!python/object:os.system &x [*x]\n"}) {
      const auto msg = error_of(text, resolve);
      EXPECT_NE(msg.find("'cycle.yaml': line "), std::string::npos) << text << msg;
      EXPECT_NE(msg.find("an alias refers to a collection that contains it"), std::string::npos)
          << text << msg;
    }
    // Forty levels written out, each alias adding forty more: no cycle, 160 levels deep.
    std::string deep;
    for (int i = 0; i < 4; ++i) {
      deep += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " " + std::string(40, '[') +
              (i ? "*a" + std::to_string(i - 1) : "1") + std::string(40, ']') + "\n";
    }
    const auto msg = error_of(deep, resolve);
    EXPECT_NE(msg.find("nested deeper than 64 levels"), std::string::npos) << msg;
  }
  // An anchor used beside itself, and nesting a config could hold, stay readable.
  const auto tree =
      parse_detectron2_yaml("A: &x [1, [2]]\nB: [*x, *x]\nC: {D: {E: *x}}\n", "ok.yaml");
  EXPECT_EQ(tree.at("B")->items.size(), 2u);
  EXPECT_EQ(tree.at("C")->at("D")->at("E")->items.size(), 2u);
}

// A safetensors file of `header` JSON and `data` bytes.
std::string safetensors_bytes(const std::string& header, const std::string& data = {}) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += char((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

// The shape's product overflowed int64 (undefined behaviour) and, wrapped to 0, matched an empty
// byte range: the file was accepted with a tensor of 2^120 elements.
TEST(FuzzFindings, SafetensorsShapeWhoseProductOverflows) {
  const std::string t = "1099511627776";  // 2^40
  for (const std::string dtype : {"F32", "U8"}) {
    const auto bytes = safetensors_bytes(R"({"x":{"dtype":")" + dtype + R"(","shape":[)" + t +
                                         "," + t + "," + t + R"(],"data_offsets":[0,0]}})");
    try {
      SafetensorsFile::parse(bytes, "big.safetensors");
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError);
      EXPECT_NE(std::string(e.what()).find("'big.safetensors': tensor 'x'"), std::string::npos)
          << e.what();
    }
  }
  // A dimension over int64 is refused by itself; with a zero dimension the tensor is empty.
  EXPECT_THROW(SafetensorsFile::parse(safetensors_bytes(
                   R"({"x":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,0]}})"),
                   "d.safetensors"),
               Error);
  const auto empty = SafetensorsFile::parse(
      safetensors_bytes(R"({"x":{"dtype":"F32","shape":[)" + t + "," + t + "," + t +
                        R"(,0],"data_offsets":[0,0]}})"),
      "e.safetensors");
  EXPECT_EQ(empty.info("x").numel(), 0);
}

// yaml-cpp 0.7's LoadAll never returns on a document that starts with ',': its parser leaves the
// token unread and yields empty documents at the same place forever, allocating as it goes
// (fuzz_detectron2_yaml: a Mask2Former config whose first letter became ',', over the 10 s
// timeout with a 1.9 GB peak). Now one DataError naming the file, the place and the character.
TEST(FuzzFindings, YamlDocumentStartingWithAComma) {
  for (const std::string text : {",", " ,", "&a ,", "!t ,", ",MODEL:\n  WEIGHTS: ''\n",
                                 "MODEL: 1\n---\n,\n"}) {
    for (const bool resolve : {false, true}) {
      try {
        if (resolve)
          resolve_detectron2_yaml(text, "comma.yaml");
        else
          parse_detectron2_yaml(text, "comma.yaml");
        FAIL() << "no error on " << text;
      } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.kind(), ErrorKind::DataError) << what;
        EXPECT_NE(what.find("'comma.yaml': not valid YAML: line "), std::string::npos) << what;
        EXPECT_NE(what.find("unexpected ','"), std::string::npos) << what;
      }
    }
  }
  // Streams of several documents are still counted and refused, one document still reads.
  try {
    parse_detectron2_yaml("A: 1\n---\nB: 2\n", "two.yaml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 YAML documents"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_detectron2_yaml("---\nA: [1, 2]\n...\n", "one.yaml").children.size(), 1u);
}

// fuzz_detectron2_yaml: "!!int _FORMER:P,  OP:" reached the base-60 branch of PyYAML's integer
// constructor, whose parts went through std::stoll: std::invalid_argument escaped every reader
// (std::terminate under the fuzzer), and large parts overflowed the sum.
TEST(FuzzFindings, ExplicitIntegerTagOnTextWithAColon) {
  const std::string fuzzer_input =
      "MODEL:\n  META_ARCHITECTUREM:s\" akForm\nre \" BACKBONE:\n    NAME:\n!!int _FORMER:P,  "
      "OP:\n   MODEL.ONCHOR_GENERATOR.S [6675, 1024]\nTEST:\nBACKM-?ONE  EVAL_PERIOD: "
      "5000\nVERSION: 2\n";
  for (const std::string& text : {fuzzer_input, std::string("A: !!int 1:x\n"),
                                 std::string("A: !!int ':'\n"), std::string("A: !!int 1::2\n")}) {
    try {
      parse_detectron2_yaml(text, "int.yaml");
      FAIL() << "no error on " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError) << e.what();
      EXPECT_NE(std::string(e.what()).find("is not an integer"), std::string::npos) << e.what();
    }
  }
  const auto value_of_a = [](const std::string& text) {
    const auto doc = parse_detectron2_yaml(text, "a.yaml");
    EXPECT_EQ(doc.children.size(), 1u);
    return doc.children.at(0).second;
  };
  // Python's int() of each part: blanks and a sign allowed; 1:30 is 90 (PyYAML's sexagesimal).
  EXPECT_EQ(value_of_a("A: 1:30\n").integer, 90);
  EXPECT_EQ(value_of_a("A: !!int ' 1: 30'\n").integer, 90);
  // A sum past 64 bits is Python's big int: read, not an error and not wrapped around.
  EXPECT_EQ(value_of_a("A: !!int 9999999999999999999:0\n").kind, Detectron2Value::Kind::Other);
  // The float constructor's base-60 branch: parts that are no number were read as 0.
  EXPECT_DOUBLE_EQ(value_of_a("A: 1:30.5\n").number, 90.5);
  try {
    parse_detectron2_yaml("A: !!float 1:x\n", "f.yaml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a float"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace segx::io
