// Class embeddings as safetensors: the vocabulary's matrix round-trips; user vectors are read in
// both layouts; inconsistent dimensions are refused.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/io/safetensors.hpp"
#include "segx/vocab/build.hpp"
#include "segx/vocab/embeddings.hpp"
#include "support/fixtures.hpp"

namespace segx::vocab {
namespace {

Vocabulary three_classes() {
  auto list = category_list_from_json(
      "d",
      Json::parse(
          R"([{"id": 1, "name": "person"}, {"id": 2, "name": "road"}, {"id": 3, "name": "sky"}])"),
      "d");
  return build_vocabulary({list}, {}, {});
}

std::string_view bytes_of(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

TEST(SafetensorsEmbeddings, MatrixRoundTrips) {
  auto dir = test::temp_dir("vocab");
  auto e = default_embeddings(three_classes(), 16);
  auto path = (dir / "e.safetensors").string();
  write_embeddings(path, e);
  auto file = io::SafetensorsFile::read(path);
  EXPECT_EQ(file.info("class_embeddings").shape, (std::vector<std::int64_t>{3, 16}));
  EXPECT_EQ(file.metadata().at("names"), R"(["person","road","sky"])");
  auto back = read_embeddings(path);
  EXPECT_EQ(back.ids, e.ids);
  EXPECT_EQ(back.names, e.names);
  EXPECT_EQ(back.vectors, e.vectors);
  EXPECT_EQ(back.method, kHashedMethod);
}

TEST(SafetensorsEmbeddings, UserVectorsInBothLayouts) {
  auto dir = test::temp_dir("vocab");
  std::vector<float> m = {1, 0, 0, 1, 0.5f, 0.5f};
  io::write_safetensors_file((dir / "m.safetensors").string(),
                             {{"emb", io::DType::F32, {3, 2}, bytes_of(m)}},
                             {{"names", R"(["sky", "road", "person"])"}});
  auto e =
      embeddings_from_table(three_classes(), load_vector_table((dir / "m.safetensors").string()));
  ASSERT_EQ(e.vectors.size(), 3u);
  EXPECT_EQ(e.vectors[0], (std::vector<float>{0.5f, 0.5f}));  // person
  EXPECT_EQ(e.vectors[2], (std::vector<float>{1, 0}));        // sky

  std::vector<float> a = {1, 2}, b = {1, 2, 3};
  io::write_safetensors_file(
      (dir / "bad.safetensors").string(),
      {{"person", io::DType::F32, {2}, bytes_of(a)}, {"road", io::DType::F32, {3}, bytes_of(b)}});
  try {
    load_vector_table((dir / "bad.safetensors").string());
    FAIL() << "no error";
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(err.what()).find("'road' has 3 values but earlier vectors have 2"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace segx::vocab
