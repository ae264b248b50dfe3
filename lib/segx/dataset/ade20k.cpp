// ADE20K and semantic-folder manifests.
#include "segx/dataset/ade20k.hpp"

#include <algorithm>
#include <filesystem>
#include <ostream>

#include "segx/core/error.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/png.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

CategorySet ade20k_categories() {
  static const char* const kNames[150] = {
      "wall", "building", "sky", "floor", "tree", "ceiling", "road, route", "bed", "window", "grass", "cabinet",
      "sidewalk, pavement", "person", "earth, ground", "door", "table", "mountain, mount", "plant", "curtain",
      "chair", "car", "water", "painting, picture", "sofa", "shelf", "house", "sea", "mirror", "rug", "field",
      "armchair", "seat", "fence", "desk", "rock, stone", "wardrobe, closet, press", "lamp", "tub", "rail",
      "cushion", "base, pedestal, stand", "box", "column, pillar", "signboard, sign",
      "chest of drawers, chest, bureau, dresser", "counter", "sand", "sink", "skyscraper", "fireplace",
      "refrigerator, icebox", "grandstand, covered stand", "path", "stairs", "runway",
      "case, display case, showcase, vitrine", "pool table, billiard table, snooker table", "pillow",
      "screen door, screen", "stairway, staircase", "river", "bridge, span", "bookcase", "blind, screen",
      "coffee table", "toilet, can, commode, crapper, pot, potty, stool, throne", "flower", "book", "hill",
      "bench", "countertop", "stove", "palm, palm tree", "kitchen island", "computer", "swivel chair", "boat",
      "bar", "arcade machine", "hovel, hut, hutch, shack, shanty", "bus", "towel", "light", "truck", "tower",
      "chandelier", "awning, sunshade, sunblind", "street lamp", "booth", "tv", "plane", "dirt track",
      "clothes", "pole", "land, ground, soil", "bannister, banister, balustrade, balusters, handrail",
      "escalator, moving staircase, moving stairway", "ottoman, pouf, pouffe, puff, hassock", "bottle",
      "buffet, counter, sideboard", "poster, posting, placard, notice, bill, card", "stage", "van", "ship",
      "fountain", "conveyer belt, conveyor belt, conveyer, conveyor, transporter", "canopy",
      "washer, automatic washer, washing machine", "plaything, toy", "pool", "stool", "barrel, cask",
      "basket, handbasket", "falls", "tent", "bag", "minibike, motorbike", "cradle", "oven", "ball",
      "food, solid food", "step, stair", "tank, storage tank", "trade name", "microwave", "pot", "animal",
      "bicycle", "lake", "dishwasher", "screen", "blanket, cover", "sculpture", "hood, exhaust hood", "sconce",
      "vase", "traffic light", "tray", "trash can", "fan", "pier", "crt screen", "plate", "monitor",
      "bulletin board", "shower", "radiator", "glass, drinking glass", "clock", "flag"};
  std::vector<Category> cats;
  for (int i = 0; i < 150; ++i) cats.push_back({i + 1, kNames[i], "", false, false, {}});
  return CategorySet(std::move(cats));
}

namespace {

bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp" || e == ".tif" || e == ".tiff" || e == ".webp";
}

// Writes image records pairing sorted images with labels of the same stem.
void pair_folders(const fs::path& images, const fs::path& labels, const fs::path& base, ManifestWriter& w) {
  if (!fs::is_directory(images)) fail(ErrorKind::NoInput, "cannot open '{}': not a folder", images.string());
  if (!fs::is_directory(labels)) fail(ErrorKind::NoInput, "cannot open '{}': not a folder", labels.string());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(images))
    if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& img : files) {
    fs::path label = labels / (img.stem().string() + ".png");
    if (!fs::exists(label)) fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory (label of '{}')", label.string(), img.string());
    io::PngHeader h = io::read_png_header(label.string());
    rapidjson::StringBuffer buf;
    JsonWriter jw(buf);
    jw.StartObject();
    jw.Key("type"), jw.String("image");
    jw.Key("image_id"), jw.String(img.stem().string().c_str());
    jw.Key("file_name"), jw.String(fs::absolute(img).lexically_relative(base).string().c_str());
    jw.Key("height"), jw.Int(h.height), jw.Key("width"), jw.Int(h.width);
    jw.Key("sem_seg_file_name"), jw.String(fs::absolute(label).lexically_relative(base).string().c_str());
    jw.EndObject();
    w.write_raw(std::string_view(buf.GetString(), buf.GetSize()));
  }
}

void add_root(JsonDocument& header, const fs::path& base) {
  header.AddMember("root", JsonValue(base.string().c_str(), header.GetAllocator()), header.GetAllocator());
}

}  // namespace

void ade20k_to_manifest(const std::string& root, const std::string& split, bool reduce_zero_label,
                        std::ostream& out) {
  const fs::path base = fs::absolute(root).lexically_normal();
  ManifestWriter w(out);
  JsonDocument header = make_header("ade20k_" + split, ade20k_categories(), "category");
  add_root(header, base);
  if (reduce_zero_label) header.AddMember("reduce_zero_label", true, header.GetAllocator());
  w.write_header(header);
  pair_folders(base / "images" / split, base / "annotations" / split, base, w);
}

void semantic_folder_to_manifest(const std::string& images_dir, const std::string& labels_dir,
                                 const CategorySet& categories, const std::string& scheme,
                                 const std::string& name, std::ostream& out) {
  const fs::path base = fs::absolute(fs::path(images_dir)).lexically_normal().parent_path();
  ManifestWriter w(out);
  JsonDocument header = make_header(name, categories, scheme);
  add_root(header, base);
  w.write_header(header);
  pair_folders(fs::absolute(images_dir).lexically_normal(), fs::absolute(labels_dir).lexically_normal(), base, w);
}

}  // namespace segx::dataset
