// Inputs that tests/fuzz found breaking the vocab readers, kept as regression tests: a number no
// double holds (1e999) in any JSON file they take. nlohmann_json throws out_of_range for it, not
// parse_error, and that escaped the readers' catch as an exception no caller handles. Each must be
// a DataError naming the file.
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

}  // namespace
}  // namespace segx::vocab
