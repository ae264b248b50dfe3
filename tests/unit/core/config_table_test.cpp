// The config table: one list of keys reads (strictly), writes and documents a section.
#include <gtest/gtest.h>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"

namespace segx::config {
namespace {

struct Inner {
  int depth = 50;
  std::string norm = "GN";
};

struct Outer {
  double lr = 1e-4;
  std::vector<int> ids;
  bool flag = false;
  Inner inner;
  std::vector<Inner> items;
};

const Table<Inner>& inner_table() {
  static const Table<Inner> t = [] {
    Table<Inner> t;
    t.field("depth", &Inner::depth, "layers").one_of({18, 50});
    t.field("norm", &Inner::norm, "normalisation").one_of({"GN", ""});
    t.deprecated("old_switch", "boolean", "nothing reads it");
    return t;
  }();
  return t;
}

const Table<Outer>& outer_table() {
  static const Table<Outer> t = [] {
    Table<Outer> t;
    t.version("schema_version", 2, "format version");
    t.field("lr", &Outer::lr, "learning rate").positive();
    t.field("ids", &Outer::ids, "ids").min(0).write_if([](const Outer& o) {
      return !o.ids.empty();
    });
    t.field(
        "flag", [](auto& o) -> auto& { return o.flag; }, "a switch");
    t.section("inner", &Outer::inner, inner_table(), "the inner part");
    t.list("items", &Outer::items, inner_table(), "more inner parts");
    return t;
  }();
  return t;
}

Outer read(const std::string& text) {
  Outer o;
  outer_table().read(Json::parse(text), o, {"c.json", "", true});
  return o;
}

std::string error_of(const std::string& text, ErrorKind* kind = nullptr) {
  try {
    read(text);
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

TEST(ConfigTable, ReadsKeysAndKeepsDefaultsOfTheOthers) {
  auto o = read(R"({"lr": 0.5, "inner": {"depth": 18}, "items": [{"norm": ""}, {}]})");
  EXPECT_EQ(o.lr, 0.5);
  EXPECT_EQ(o.inner.depth, 18);
  EXPECT_EQ(o.inner.norm, "GN");
  ASSERT_EQ(o.items.size(), 2u);
  EXPECT_EQ(o.items[0].norm, "");
  EXPECT_EQ(o.items[1].depth, 50);
}

TEST(ConfigTable, UnknownKeysAtAnyDepthNameTheFileAndTheDottedKey) {
  ErrorKind kind{};
  EXPECT_EQ(error_of(R"({"lr_rate": 1})", &kind), "'c.json': unknown key \"lr_rate\"");
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_EQ(error_of(R"({"inner": {"dpth": 18}})"),
            "'c.json': unknown key \"inner.dpth\" (did you mean \"inner.depth\"?)");
  EXPECT_EQ(error_of(R"({"items": [{}, {"nrom": "GN"}]})"),
            "'c.json': unknown key \"items[1].nrom\" (did you mean \"items[1].norm\"?)");
}

TEST(ConfigTable, WrongTypesAndValuesNameTheKeyAndWhatItMustBe) {
  ErrorKind kind{};
  EXPECT_EQ(error_of(R"({"lr": "big"})", &kind), "'c.json': lr must be a number, not \"big\"");
  EXPECT_EQ(kind, ErrorKind::Config);
  EXPECT_EQ(error_of(R"({"lr": -1})"), "'c.json': lr must be positive, not -1");
  // No silent float-to-integer or number-to-boolean conversions.
  EXPECT_EQ(error_of(R"({"inner": {"depth": 18.5}})"),
            "'c.json': inner.depth must be an integer, not 18.5");
  EXPECT_EQ(error_of(R"({"flag": 1})"), "'c.json': flag must be a boolean, not 1");
  EXPECT_EQ(error_of(R"({"ids": [1, -2]})"), "'c.json': ids must be >= 0, not [1,-2]");
  EXPECT_EQ(error_of(R"({"inner": {"depth": 34}})"),
            "'c.json': inner.depth must be 18 or 50, not 34");
  EXPECT_EQ(error_of(R"({"inner": 3})"), "'c.json': inner must be an object");
  EXPECT_EQ(error_of(R"({"items": {}})"), "'c.json': items must be a list of objects, not {}");
}

TEST(ConfigTable, CommentKeysAreIgnoredAtEveryLevel) {
  auto o = read(R"({"comment": "why", "_note": 1, "inner": {"comment": "x", "_depth": 3}})");
  EXPECT_EQ(o.inner.depth, 50);
}

TEST(ConfigTable, DeprecatedKeysWarnAndLoad) {
  testing::internal::CaptureStderr();
  auto o = read(R"({"inner": {"old_switch": true, "depth": 18}})");
  const auto err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(o.inner.depth, 18);
  EXPECT_NE(err.find("'c.json': inner.old_switch is no longer read (nothing reads it); ignored"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
  EXPECT_FALSE(outer_table().write(o)["inner"].contains("old_switch"));
}

TEST(ConfigTable, VersionIsWrittenAndANewerOneIsRefused) {
  EXPECT_EQ(outer_table().write(Outer{})["schema_version"], 2);
  EXPECT_NO_THROW(read(R"({"schema_version": 1})"));
  EXPECT_NO_THROW(read(R"({"schema_version": 2})"));
  ErrorKind kind{};
  EXPECT_NE(error_of(R"({"schema_version": 3})", &kind).find("schema_version is 3, newer"),
            std::string::npos);
  EXPECT_EQ(kind, ErrorKind::Config);
}

TEST(ConfigTable, WriteThenReadGivesTheSameValues) {
  Outer o;
  o.lr = 0.25;
  o.ids = {3, 4};
  o.flag = true;
  o.inner.norm = "";
  o.items = {Inner{18, "GN"}};
  const auto j = outer_table().write(o);
  Outer again;
  outer_table().read(j, again, {"again", "", true});
  EXPECT_EQ(outer_table().write(again), j);
  EXPECT_EQ(again.ids, o.ids);
  EXPECT_TRUE(again.flag);
  // write_if: an empty list of ids is left out.
  EXPECT_FALSE(outer_table().write(Outer{}).contains("ids"));
}

TEST(ConfigTable, DocsListEveryKeyWithTypeDefaultAndRule) {
  const auto docs = outer_table().docs();
  std::vector<std::string> keys;
  for (const auto& d : docs) keys.push_back(d.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"schema_version", "lr", "ids", "flag", "inner", "inner.depth",
                                      "inner.norm", "inner.old_switch", "items", "items[].depth",
                                      "items[].norm", "items[].old_switch"}));
  EXPECT_EQ(docs[1].type, "number");
  EXPECT_EQ(docs[1].default_text, "0.0001");
  EXPECT_EQ(docs[1].allowed, "> 0");
  EXPECT_EQ(docs[5].allowed, "18 or 50");
  EXPECT_EQ(docs[6].default_text, "\"GN\"");
  EXPECT_TRUE(docs[4].section);
  EXPECT_TRUE(docs[7].deprecated);
}

}  // namespace
}  // namespace segx::config
