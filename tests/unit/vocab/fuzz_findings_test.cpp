// Inputs that tests/fuzz found breaking the vocab readers, kept as regression tests: a number no
// double holds (1e999) in any JSON file they take. nlohmann_json throws out_of_range for it, not
// parse_error, and that escaped the readers' catch as an exception no caller handles. Each must be
// a DataError naming the file. And an integer written as a float (see below).
#include <gtest/gtest.h>

#include <sstream>

#include "segx/core/error.hpp"
#include "segx/vocab/apply.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/check.hpp"
#include "segx/vocab/embeddings.hpp"
#include "segx/vocab/synonyms.hpp"
#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {
namespace {

template <typename Read>
void expect_data_error(Read&& read, const std::string& origin) {
  try {
    read();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find(origin), std::string::npos) << e.what();
  }
}

Vocabulary small_vocabulary() {
  const auto cats = Json::parse(R"([{"id": 1, "name": "person", "isthing": 1}])");
  return build_vocabulary({category_list_from_json("a", cats, "a")}, {}, {});
}

TEST(FuzzFindings, OverflowingNumberIsADataErrorInEveryReader) {
  // The fuzzer's input, then the same number inside a document of each kind.
  expect_data_error([] { parse_vocabulary("55E555E5E5", "v.json"); }, "v.json");
  expect_data_error([] { parse_vocabulary(R"({"format_version": 1e999})", "v.json"); }, "v.json");
  expect_data_error([] { SynonymTable::parse_json(R"({"a": [1e999]})", "s.json"); }, "s.json");
  expect_data_error([] { parse_vector_table(R"({"a": [1e999]})", "t.json"); }, "t.json");
  const Vocabulary v = small_vocabulary();
  for (const char* input : {"1e999", "{\"a\": 1e999}\n", "[\n1e999]"}) {
    std::istringstream apply_in(input), check_in(input);
    std::ostringstream out;
    expect_data_error(
        [&] {
          apply_vocabulary(v, apply_in, "m.jsonl", out, {false, "a", false});
        },
        "m.jsonl");
    expect_data_error([&] { check_manifest(v, check_in, "m.jsonl", "a"); }, "m.jsonl");
  }
}

// A number where the vocabulary wants an integer: nlohmann's get<std::int64_t> static_cast 1e300
// (undefined behaviour; UBSan's float-cast-overflow in the fuzz build) and truncated 2.5 to 2.
// Whole numbers written as doubles are still read, as the COCO readers read them.
// fuzz_vocabulary: {"format":[]} escaped as nlohmann's type_error (a crash in the fuzzer, an
// internal error in the CLI): "format" was read with value("format", ""), which throws when the
// key holds no string. Now the file is not a vocabulary (DataError naming it).
TEST(FuzzFindings, VocabularyFormatThatIsNoString) {
  for (const char* text : {R"({"format":[]})", R"({"format":1})", R"({"format":null})"})
    expect_data_error([&] { parse_vocabulary(text, "v.json"); }, "v.json");
}

TEST(FuzzFindings, VocabularyIntegerWrittenAsAFloat) {
  const Json good = to_json(small_vocabulary());
  ASSERT_EQ(parse_vocabulary(good.dump(), "v.json").classes.at(0).id, 1);
  auto with = [&](const char* key, Json value) {
    Json doc = good;
    doc["classes"][0][key] = std::move(value);
    return doc.dump();
  };
  for (Json bad : {Json(1e300), Json(-1e300), Json(2.5), Json(9223372036854775808.0)})
    expect_data_error([&] { parse_vocabulary(with("id", bad), "v.json"); }, "v.json");
  expect_data_error([&] { parse_vocabulary(with("isthing", Json(1e10)), "v.json"); }, "v.json");
  expect_data_error([&] { parse_vocabulary(with("color", Json::parse("[1, 2, 1e300]")), "v.json"); },
                    "v.json");
  EXPECT_EQ(parse_vocabulary(with("id", Json(1.0)), "v.json").classes.at(0).id, 1);
  Json version = good;
  version["version"] = 1e300;
  expect_data_error([&] { parse_vocabulary(version.dump(), "v.json"); }, "v.json");
}

}  // namespace
}  // namespace segx::vocab
