// safetensors reader/writer: round trips, the reference fixtures, and malformed files.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/io/safetensors.hpp"
#include "support/fixtures.hpp"

namespace segx::io {
namespace {

std::string file_bytes(const std::vector<TensorView>& t,
                       const std::map<std::string, std::string>& meta = {}) {
  std::ostringstream out;
  write_safetensors(out, t, meta);
  return out.str();
}

std::string with_header(const std::string& json, const std::string& data) {
  std::string s(8, '\0');
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s + json + data;
}

ErrorKind parse_error(const std::string& bytes, std::string* message = nullptr) {
  try {
    SafetensorsFile::parse(bytes, "x.safetensors");
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  return ErrorKind::Internal;
}

TEST(Safetensors, RoundTripKeepsDtypesShapesDataAndMetadata) {
  float f[6] = {1, 2, 3, 4, 5, -6.5f};
  std::int64_t l[2] = {-1, 1LL << 40};
  std::uint8_t b[3] = {0, 1, 1};
  auto bytes = file_bytes({{"w", DType::F32, {2, 3}, {reinterpret_cast<char*>(f), sizeof f}},
                           {"idx", DType::I64, {2}, {reinterpret_cast<char*>(l), sizeof l}},
                           {"m", DType::Bool, {3}, {reinterpret_cast<char*>(b), sizeof b}},
                           {"empty", DType::F16, {0, 4}, {}}},
                          {{"format", "pt"}});
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u) << "data section must start 8-byte aligned";
  auto file = SafetensorsFile::parse(bytes, "mem");
  EXPECT_EQ(file.names(), (std::vector<std::string>{"w", "idx", "m", "empty"}));
  EXPECT_EQ(file.info("w").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(file.info("idx").dtype, DType::I64);
  EXPECT_EQ(file.info("empty").numel(), 0);
  EXPECT_EQ(file.data("w"), std::string_view(reinterpret_cast<char*>(f), sizeof f));
  EXPECT_EQ(file.data("idx"), std::string_view(reinterpret_cast<char*>(l), sizeof l));
  EXPECT_EQ(file.metadata().at("format"), "pt");
}

TEST(Safetensors, DtypeNamesFollowTheFormat) {
  for (auto name : {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"}) {
    auto d = parse_dtype(name);
    ASSERT_TRUE(d) << name;
    EXPECT_STREQ(dtype_name(*d), name);
  }
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_FALSE(parse_dtype("F8"));
}

TEST(Safetensors, MalformedFilesAreDataErrorsNamingTheFileAndTensor) {
  std::string msg;
  EXPECT_EQ(parse_error("abc", &msg), ErrorKind::DataError);
  EXPECT_NE(msg.find("x.safetensors"), std::string::npos);
  EXPECT_EQ(parse_error(with_header("{not json", "")), ErrorKind::DataError);
  EXPECT_EQ(parse_error(std::string("\xff\xff\xff\xff\0\0\0\0{}", 10)), ErrorKind::DataError);
  EXPECT_EQ(parse_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                    "1234"),
                        &msg),
            ErrorKind::DataError);
  EXPECT_NE(msg.find("'a'"), std::string::npos) << msg;
  EXPECT_EQ(parse_error(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                    "12345678")),
            ErrorKind::DataError);
  EXPECT_EQ(parse_error(with_header(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})",
                                    "12345678"),
                        &msg),
            ErrorKind::DataError);
  EXPECT_NE(msg.find("dtype"), std::string::npos);
  EXPECT_EQ(parse_error(with_header(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                                    "12345678")),
            ErrorKind::DataError);
  EXPECT_EQ(parse_error(with_header(R"({"a":{"dtype":"F32","shape":[2]}})", "12345678")),
            ErrorKind::DataError);
}

TEST(Safetensors, MissingFileIsNoInputAndMissingTensorNamesIt) {
  try {
    SafetensorsFile::read("/nonexistent/w.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NoInput);
  }
  auto file = SafetensorsFile::parse(file_bytes({}), "mem.safetensors");
  try {
    file.info("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos);
  }
}

// The reference weights list every parameter in param_names.txt with its dtype and shape.
TEST(Safetensors, ReadsTheReferenceWeightsAsListed) {
  SEGX_REQUIRE_FIXTURES();
  for (auto sub : {"small", "oneformer_small"}) {
    auto dir = test::fixtures_root() / "reference-model" / sub;
    auto file = SafetensorsFile::read((dir / "weights.safetensors").string());
    std::ifstream names(dir / "param_names.txt");
    std::string line;
    std::size_t count = 0;
    while (std::getline(names, line)) {
      std::istringstream ss(line);
      std::string name, dtype, shape;
      ss >> name >> dtype;
      std::getline(ss, shape);
      ASSERT_TRUE(file.contains(name)) << name;
      EXPECT_STREQ(dtype_name(file.info(name).dtype), dtype.c_str());
      std::string got = "[";
      for (std::size_t i = 0; i < file.info(name).shape.size(); ++i)
        got += (i ? ", " : "") + std::to_string(file.info(name).shape[i]);
      got += "]";
      EXPECT_EQ(got, shape.substr(shape.find('['))) << name;
      ++count;
    }
    EXPECT_EQ(count, file.names().size());
  }
}

}  // namespace
}  // namespace segx::io
