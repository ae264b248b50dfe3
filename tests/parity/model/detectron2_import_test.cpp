// detectron2 config import against the official code, over every config file of the peers'
// Mask2Former, MaskFormer and OneFormer (../shared/peers/src, or $PEERS_DIR/src): segx resolves
// each exactly as detectron2 did (tests/parity/model/data/detectron2_config_refs.json.gz, written
// by scripts/gen_detectron2_config_refs.py), and either converts it to a segx model config equal
// to scripts/model_fixture_capture.py's transcription, with the classes upstream's MetadataCatalog
// registers, or refuses it naming the key; and the model fixtures' configs import to their
// model.json.
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <map>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/io/detectron2_config.hpp"
#include "segx/model/config.hpp"
#include "segx/model/import/detectron2.hpp"
#include "support/fixtures.hpp"

namespace segx::model {
namespace {

namespace fs = std::filesystem;
using io::Detectron2Value;
using Json = nlohmann::ordered_json;

fs::path peers_dir() {
  if (const char* env = std::getenv("PEERS_DIR")) return env;
  return fs::path(SEGX_SOURCE_DIR).parent_path() / "shared" / "peers";
}

#define SEGX_REQUIRE_PEERS()                                                \
  do {                                                                      \
    if (!fs::is_directory(peers_dir() / "src" / "Mask2Former" / "configs")) \
      GTEST_SKIP() << "no official configs at " << peers_dir().string()     \
                   << "/src (../shared/peers, or set PEERS_DIR)";           \
  } while (0)

std::string gunzip(const std::string& gz) {
  std::size_t size = 0;
  for (int i = 0; i < 4; ++i)  // gzip's trailer: the uncompressed size, little-endian
    size |= static_cast<std::size_t>(static_cast<unsigned char>(gz[gz.size() - 4 + i])) << (8 * i);
  std::string out(size, '\0');
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::size_t got = 0;
  const auto r = libdeflate_gzip_decompress(d, gz.data(), gz.size(), out.data(), out.size(), &got);
  libdeflate_free_decompressor(d);
  if (r != LIBDEFLATE_SUCCESS) throw std::runtime_error("corrupt gzip data");
  out.resize(got);
  return out;
}

const Json& refs() {
  static const Json doc = Json::parse(gunzip(test::read_file(
      fs::path(SEGX_SOURCE_DIR) / "tests/parity/model/data/detectron2_config_refs.json.gz")));
  return doc;
}

// The resolved tree equals detectron2's: each leaf the reference's value where it differs from
// the defaults, the default's otherwise (same Python type and value). Returns the number of
// Python expressions (which detectron2 evaluated and segx keeps unevaluated).
int expect_resolution(const io::Detectron2Config& got, const Json& diff) {
  const auto& defaults = io::detectron2_defaults(got.repository);
  int python = 0;
  for (const auto& [key, value] : io::detectron2_leaves(got.tree)) {
    if (value->kind == Detectron2Value::Kind::Python) {
      EXPECT_TRUE(diff.contains(key)) << key;
      ++python;
      continue;
    }
    const Detectron2Value want =
        diff.contains(key) ? io::detectron2_value_from_json(diff.at(key)) : *defaults.at(key);
    EXPECT_TRUE(*value == want) << key << ": segx " << value->repr() << ", detectron2 "
                                << want.repr();
  }
  for (const auto& [key, value] : diff.items()) EXPECT_NE(got.tree.at(key), nullptr) << key;
  return python;
}

TEST(Detectron2OfficialConfigs, ResolveAsDetectron2) {
  SEGX_REQUIRE_PEERS();
  const auto& configs = refs().at("configs");
  ASSERT_EQ(configs.size(), 139u);  // 71 Mask2Former + 36 MaskFormer + 32 OneFormer files
  int python = 0, files = 0, models = 0;
  for (const auto& [rel, ref] : configs.items()) {
    SCOPED_TRACE(rel);
    const fs::path path = peers_dir() / "src" / rel;
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    ASSERT_FALSE(ref.contains("error")) << ref.at("error");  // every official config resolves
    const auto got = io::resolve_detectron2_config(path.string());
    EXPECT_EQ(got.repository, ref.at("repository").get<std::string>()) << got.repository_reason;
    python += expect_resolution(got, ref.at("diff"));
    files += static_cast<int>(got.files.size());
    // The rule without the file's location (a model config copied elsewhere) picks the same
    // defaults. (Base files that set only data and solver keys fit MaskFormer's and Mask2Former's
    // alike: there the location decides.)
    if (got.tree.at("MODEL.META_ARCHITECTURE")->text != "GeneralizedRCNN") {
      EXPECT_EQ(io::choose_detectron2_repository(io::load_detectron2_yaml(path.string(), {}), ""),
                got.repository);
      ++models;
    }
  }
  EXPECT_GT(python, 10);  // the Python-tagged MIN_SIZE_TRAIN of several bases
  EXPECT_GT(files, 250);  // _BASE_ chains were followed
  EXPECT_EQ(models, 117);
}

TEST(Detectron2OfficialConfigs, OverridesAsDetectron2) {
  SEGX_REQUIRE_PEERS();
  int ok = 0, refused = 0;
  for (const auto& ref : refs().at("opts_cases")) {
    SCOPED_TRACE(ref.at("config").get<std::string>() + " " + ref.at("opts").dump());
    io::Detectron2ResolveOptions options;
    options.repository = ref.at("repository").get<std::string>();
    options.overrides = ref.at("opts").get<std::vector<std::string>>();
    const std::string path = (peers_dir() / "src" / ref.at("config").get<std::string>()).string();
    if (ref.contains("error")) {
      EXPECT_THROW(io::resolve_detectron2_config(path, options), Error) << ref.at("error");
      ++refused;
      continue;
    }
    expect_resolution(io::resolve_detectron2_config(path, options), ref.at("diff"));
    ++ok;
  }
  EXPECT_GE(ok, 10);
  EXPECT_GE(refused, 5);
}

// The classes upstream's metadata gives, as the import should set them.
struct UpstreamClasses {
  bool known = false;
  std::vector<int> things;
  std::vector<int> category_ids;
  std::vector<std::string> names;
};

UpstreamClasses upstream_classes(const std::string& repository, const std::string& dataset,
                                 int num_classes) {
  UpstreamClasses out;
  const auto& all = refs().at("datasets");
  const std::string key = repository + "/" + dataset;
  if (!all.contains(key)) return out;
  const auto& m = all.at(key);
  out.known = true;
  std::map<int, int> ids;  // contiguous -> dataset id
  for (const char* map : {"thing_dataset_id_to_contiguous_id", "stuff_dataset_id_to_contiguous_id"})
    if (m.contains(map))
      for (const auto& pair : m.at(map)) ids[pair[1].get<int>()] = pair[0].get<int>();
  if (m.contains("thing_dataset_id_to_contiguous_id"))
    for (const auto& pair : m.at("thing_dataset_id_to_contiguous_id"))
      out.things.push_back(pair[1].get<int>());
  std::sort(out.things.begin(), out.things.end());
  if (static_cast<int>(ids.size()) == num_classes)
    for (const auto& [contiguous, id] : ids) out.category_ids.push_back(id);
  for (const char* list : {"stuff_classes", "thing_classes"})
    if (m.contains(list) && m.at(list).is_array() &&
        static_cast<int>(m.at(list).size()) == num_classes && out.names.empty())
      out.names = m.at(list).get<std::vector<std::string>>();
  return out;
}

// A segx model config as JSON, without what scripts/model_fixture_capture.py does not transcribe.
nlohmann::json comparable(const ModelConfig& c) {
  ModelConfig copy = c;
  copy.thing_classes.clear();
  copy.class_names.clear();
  copy.category_ids.clear();
  copy.test.min_size = copy.test.max_size = 0;
  return nlohmann::json::parse(model_config_to_json(copy));
}

TEST(Detectron2OfficialConfigs, ConvertOrRefuseByName) {
  SEGX_REQUIRE_PEERS();
  std::map<std::string, int> refusals;  // key -> configs refused on it
  int converted = 0, with_classes = 0;
  for (const auto& [rel, ref] : refs().at("configs").items()) {
    SCOPED_TRACE(rel);
    const auto resolved = io::resolve_detectron2_config((peers_dir() / "src" / rel).string());
    Detectron2Import imported;
    try {
      imported = model_config_from_detectron2(resolved);
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::Config) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      // "'<file>': <KEY> <value>: why": a key of the config.
      const std::size_t start = message.find("': ") + 3;
      const std::string key = message.substr(start, message.find(' ', start) - start);
      EXPECT_NE(resolved.tree.at(key), nullptr) << message;
      ++refusals[key];
      if (ref.at("segx_model_config").contains("architecture"))
        ADD_FAILURE() << "the transcription converts it; segx refused: " << message;
      continue;
    }
    ++converted;
    // As scripts/model_fixture_capture.py's transcription of the mapping.
    const auto& capture = ref.at("segx_model_config");
    ASSERT_TRUE(capture.contains("architecture")) << capture.dump();
    const auto want = read_model_config(nlohmann::json::parse(capture.dump()),
                                        {"model_fixture_capture.py", "", false});
    EXPECT_EQ(comparable(imported.config).dump(1), comparable(want).dump(1));
    EXPECT_EQ(imported.config.test.min_size, resolved.tree.at("INPUT.MIN_SIZE_TEST")->integer);
    EXPECT_EQ(imported.config.test.max_size, resolved.tree.at("INPUT.MAX_SIZE_TEST")->integer);
    // The classes upstream's MetadataCatalog registers for DATASETS.TRAIN[0].
    const std::string dataset = resolved.tree.at("DATASETS.TRAIN")->items.at(0).text;
    const auto up = upstream_classes(resolved.repository, dataset, imported.config.num_classes);
    ASSERT_TRUE(up.known) << dataset;
    if (imported.config.class_names.empty()) continue;  // segx has no list (reported in a note)
    ++with_classes;
    EXPECT_EQ(imported.config.thing_classes, up.things) << dataset;
    EXPECT_EQ(imported.config.category_ids, up.category_ids) << dataset;
    ASSERT_EQ(imported.config.class_names.size(), up.names.size()) << dataset;
    // Names from segx's lists, which are upstream's except for ADE20K instance: Mask2Former's and
    // OneFormer's ade20k_instance registrations spell 31 of the 100 thing classes otherwise
    // ("windowpane" for ADE20K-150's "window "); segx keeps the ADE20K-150 names of those ids.
    if (dataset.rfind("ade20k_instance", 0) == 0) continue;
    for (std::size_t i = 0; i < up.names.size(); ++i)
      EXPECT_EQ(imported.config.class_names[i], up.names[i]) << dataset << " " << i;
  }
  std::cout << "detectron2 configs: " << converted << " of " << refs().at("configs").size()
            << " convert (" << with_classes << " with classes);";
  for (const auto& [key, n] : refusals) std::cout << " " << n << " refused on " << key << ";";
  std::cout << "\n";
  EXPECT_EQ(converted, 92);
}

// The model fixtures (tests/parity/model/data/*/): their config file with their overrides imports
// to their model.json, field for field. model.json leaves out what the capture script does not
// transcribe (test.min_size/max_size, class names, category ids): those are checked against the
// fixture's config.yaml (detectron2's own dump) and the dataset instead.
TEST(Detectron2ModelFixtures, ImportGivesModelJson) {
  SEGX_REQUIRE_PEERS();
  int fixtures = 0;
  for (const auto& dir :
       fs::directory_iterator(fs::path(SEGX_SOURCE_DIR) / "tests/parity/model/data")) {
    if (!fs::is_regular_file(dir.path() / "meta.json")) continue;
    SCOPED_TRACE(dir.path().filename().string());
    const auto meta = nlohmann::json::parse(test::read_file(dir.path() / "meta.json"));
    io::Detectron2ResolveOptions options;
    options.overrides = meta.at("opts").get<std::vector<std::string>>();
    const auto imported = import_detectron2_config(
        (peers_dir() / meta.at("config_file").get<std::string>()).string(), options);
    ModelConfig want = load_model_config((dir.path() / "model.json").string());
    const auto dump = io::load_detectron2_yaml((dir.path() / "config.yaml").string(), {});
    EXPECT_EQ(imported.config.test.min_size, dump.at("INPUT.MIN_SIZE_TEST")->integer);
    EXPECT_EQ(imported.config.test.max_size, dump.at("INPUT.MAX_SIZE_TEST")->integer);
    want.test.min_size = imported.config.test.min_size;
    want.test.max_size = imported.config.test.max_size;
    EXPECT_EQ(imported.config.class_names.size(), imported.config.class_names.empty()
                                                      ? 0u
                                                      : static_cast<std::size_t>(want.num_classes));
    want.class_names = imported.config.class_names;
    want.category_ids = imported.config.category_ids;
    EXPECT_EQ(model_config_to_json(imported.config), model_config_to_json(want));
    ++fixtures;
  }
  EXPECT_EQ(fixtures, 10);
}

}  // namespace
}  // namespace segx::model
