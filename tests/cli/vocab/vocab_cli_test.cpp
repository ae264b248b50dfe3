// `segx vocab` through the real binary: stable output, stdin, exit codes and one-line errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

std::string dataset(const std::string& name) {
  return std::string(SEGX_SOURCE_DIR) + "/datasets/" + name + ".json";
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(VocabCli, BuildIsByteStableAndReadsStdin) {
  auto dir = temp_dir("vocab");
  auto a = run_segx(
      {"vocab", "build", dataset("coco_panoptic"), dataset("ade20k"), dataset("cityscapes")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b = run_segx({"vocab", "build", dataset("coco_panoptic"), dataset("ade20k"), "cityscapes=-",
                     "-o", (dir / "v.json").string()},
                    read_file(dataset("cityscapes")));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(read_file(dir / "v.json"), a.out);
  auto v = nlohmann::json::parse(a.out);
  EXPECT_EQ(v["classes"][0]["name"], "person");
  EXPECT_EQ(v["classes"][0]["sources"].size(), 3u);
}

TEST(VocabCli, StrictFailsOnConflicts) {
  auto r = run_segx({"vocab", "build", "--strict", dataset("coco_panoptic"), dataset("ade20k")});
  EXPECT_EQ(r.exit_code, 1);
  auto none = run_segx({"vocab", "build", "--strict", "--policy", "none", dataset("coco_panoptic"),
                        dataset("ade20k")});
  EXPECT_EQ(none.exit_code, 0) << none.err;
}

TEST(VocabCli, DiffWithItselfIsEmptyAndApplyInverseIsIdentity) {
  auto dir = temp_dir("vocab");
  auto v = dir / "v.json";
  ASSERT_EQ(
      run_segx({"vocab", "build", dataset("ade20k"), dataset("coco_panoptic"), "-o", v.string()})
          .exit_code,
      0);
  auto d = run_segx({"vocab", "diff", "--exit-code", v.string(), v.string()});
  EXPECT_EQ(d.exit_code, 0) << d.out;
  EXPECT_EQ(nlohmann::json::parse(d.out)["remapped"].size(), 0u);
  std::string manifest =
      R"({"dataset":"coco_panoptic","categories":[{"id":1,"name":"person","isthing":1}]})"
      "\n"
      R"({"file_name":"a.jpg","segments_info":[{"id":3,"category_id":1},{"id":4,"category_id":200}]})"
      "\n";
  auto fwd = run_segx({"vocab", "apply", v.string(), "-"}, manifest);
  ASSERT_EQ(fwd.exit_code, 0) << fwd.err;
  EXPECT_NE(fwd.out, manifest);
  auto back = run_segx({"vocab", "apply", "--inverse", v.string(), "-"}, fwd.out);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  auto first_line = [](const std::string& s) {
    return nlohmann::json::parse(s.substr(0, s.find('\n')));
  };
  EXPECT_EQ(back.out.substr(back.out.find('\n') + 1), manifest.substr(manifest.find('\n') + 1));
  EXPECT_EQ(first_line(back.out)["dataset"], "coco_panoptic");
  EXPECT_EQ(first_line(back.out)["categories"].size(), 133u);  // the dataset's full list
}

TEST(VocabCli, CheckExitsOneWithFindings) {
  auto dir = temp_dir("vocab");
  auto v = dir / "v.json";
  ASSERT_EQ(run_segx({"vocab", "build", dataset("cityscapes"), "-o", v.string()}).exit_code, 0);
  std::string manifest = R"({"dataset":"cityscapes","categories":[{"id":7,"name":"road"}]})"
                         "\n"
                         R"({"segments_info":[{"category_id":99}]})"
                         "\n";
  auto r = run_segx({"vocab", "check", v.string()}, manifest);
  EXPECT_EQ(r.exit_code, 1);
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["missing_categories"].size(), 18u);
  EXPECT_EQ(report["unknown_ids_in_records"][0]["id"], 99);
  auto ok = run_segx({"vocab", "check", v.string(), dataset("cityscapes")});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST(VocabCli, BadInputsGiveOneLineErrorsAndExitCodes) {
  auto dir = temp_dir("vocab");
  write(dir / "dup.json",
        R"({"dataset":"d","categories":[{"id":1,"name":"a"},{"id":1,"name":"b"}]})");
  auto dup =
      run_segx({"vocab", "build", (dir / "dup.json").string(), "-o", (dir / "out.json").string()});
  EXPECT_EQ(dup.exit_code, 65);
  EXPECT_EQ(dup.err, "segx vocab build: " + (dir / "dup.json").string() +
                         ": duplicate category id 1 ('a' and 'b')\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "out.json"));

  write(dir / "syn.tsv", "sofa\tcouch\nseat\tcouch\n");
  auto syn = run_segx({"vocab", "build", "--policy", "synonyms", "--synonyms",
                       (dir / "syn.tsv").string(), dataset("coco_panoptic")});
  EXPECT_EQ(syn.exit_code, 65);
  EXPECT_NE(syn.err.find("'couch' maps to both 'sofa'"), std::string::npos) << syn.err;

  write(dir / "vec.json", R"({"person": [1, 2], "road": [1, 2, 3]})");
  auto dim = run_segx({"vocab", "build", dataset("cityscapes"), "--embeddings",
                       (dir / "e.json").string(), "--vectors", (dir / "vec.json").string()});
  EXPECT_EQ(dim.exit_code, 65);
  EXPECT_NE(dim.err.find("'road' has 3 values but earlier vectors have 2"), std::string::npos)
      << dim.err;

  write(dir / "vec2.json", R"({"person": [1, 2], "road": [1, 2]})");
  auto missing = run_segx({"vocab", "build", dataset("cityscapes"), "--embeddings",
                           (dir / "e.json").string(), "--vectors", (dir / "vec2.json").string()});
  EXPECT_EQ(missing.exit_code, 78);
  EXPECT_NE(missing.err.find("no vector for 17 of 19 classes"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "e.json"));

  auto nofile = run_segx({"vocab", "build", (dir / "nope.json").string()});
  EXPECT_EQ(nofile.exit_code, 66);
  auto twice = run_segx({"vocab", "build", "-", "x=-"});
  EXPECT_EQ(twice.exit_code, 64);
}

TEST(VocabCli, EmbeddingsAreStableAndBesideTheVocabulary) {
  auto dir = temp_dir("vocab");
  auto v = dir / "v.json";
  ASSERT_EQ(run_segx({"vocab", "build", dataset("cityscapes"), "-o", v.string(), "--embeddings",
                      (dir / "v.embeddings.json").string(), "--dim", "32"})
                .exit_code,
            0);
  auto again = run_segx({"vocab", "embed", v.string(), "--dim", "32"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, read_file(dir / "v.embeddings.json"));
  auto e = nlohmann::json::parse(again.out);
  EXPECT_EQ(e["dim"], 32);
  EXPECT_EQ(e["classes"].size(), 19u);
}

}  // namespace
}  // namespace segx::test
