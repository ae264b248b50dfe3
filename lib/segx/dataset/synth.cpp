// Synthetic panoptic scenes: a scene is a list of shapes drawn from a per-image random stream;
// predictions are the same scene with perturbed shapes, drawn by the same rasteriser.
#include "segx/dataset/synth.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <random>
#include <unordered_set>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/dataset/segment_stats.hpp"
#include "segx/io/image_codecs.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kThingIds[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 22, 24};
constexpr int64_t kStuffIds[10] = {92, 95, 100, 107, 112, 119, 122, 125, 130, 133};

struct Shape {
  bool ellipse = true;
  double cx = 0, cy = 0, rx = 1, ry = 1, angle = 0;
};

struct Thing {
  int64_t category = 0;
  bool crowd = false;
  std::vector<Shape> parts;
  double score = 1.0;
};

struct Band {
  int64_t category = 0;
  double base = 0, amplitude = 0, frequency = 0, phase = 0;  // top boundary y(x)
};

struct Scene {
  std::vector<Band> bands;  // sorted by base; the first starts at the top
  std::vector<Shape> voids;
  std::vector<Thing> things;
};

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

using Rng = std::mt19937_64;
double uniform(Rng& r, double a, double b) { return std::uniform_real_distribution<double>(a, b)(r); }
int pick(Rng& r, int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(r)); }

Shape random_shape(Rng& r, int w, int h, double size) {
  Shape s;
  s.ellipse = r() % 3 != 0;
  s.cx = uniform(r, 0, w), s.cy = uniform(r, 0, h);
  s.rx = size * uniform(r, 0.6, 1.4), s.ry = size * uniform(r, 0.6, 1.4);
  s.angle = uniform(r, 0, M_PI);
  return s;
}

Scene make_scene(uint64_t seed, int w, int h) {
  Rng r(seed);
  Scene sc;
  int nbands = 2 + pick(r, 3);
  std::vector<int64_t> stuff(std::begin(kStuffIds), std::end(kStuffIds));
  std::shuffle(stuff.begin(), stuff.end(), r);
  for (int b = 0; b < nbands; ++b) {
    Band band;
    band.category = stuff[std::size_t(b)];
    band.base = b == 0 ? -1e9 : h * (b + uniform(r, -0.3, 0.3)) / nbands;
    band.amplitude = uniform(r, 0, h * 0.08);
    band.frequency = uniform(r, 0.5, 4) * 2 * M_PI / w;
    band.phase = uniform(r, 0, 2 * M_PI);
    sc.bands.push_back(band);
  }
  int nvoid = pick(r, 3);
  for (int v = 0; v < nvoid; ++v) sc.voids.push_back(random_shape(r, w, h, uniform(r, 5, 25)));
  int nthings = 2 + pick(r, 12);
  const double scale = std::min(w, h) / 480.0;
  for (int t = 0; t < nthings; ++t) {
    Thing th;
    th.category = kThingIds[pick(r, 20)];
    // Sizes spread over COCO's small (< 32^2), medium and large buckets.
    int bucket = pick(r, 3);
    double size = scale * (bucket == 0 ? uniform(r, 4, 14) : bucket == 1 ? uniform(r, 16, 45) : uniform(r, 50, 130));
    th.parts.push_back(random_shape(r, w, h, size));
    if (r() % 10 == 0) {  // a crowd: a cluster of blobs forming one segment
      th.crowd = true;
      int extra = 2 + pick(r, 4);
      for (int k = 0; k < extra; ++k) {
        Shape s = th.parts[0];
        s.cx += uniform(r, -2, 2) * s.rx, s.cy += uniform(r, -1, 1) * s.ry;
        s.rx *= uniform(r, 0.5, 1), s.ry *= uniform(r, 0.5, 1);
        th.parts.push_back(s);
      }
    }
    sc.things.push_back(th);
  }
  return sc;
}

// A prediction: shapes moved and resized a little, some things missed, some categories confused,
// some false positives; scores higher for the better-kept things.
Scene perturb(const Scene& gt, uint64_t seed, int w, int h) {
  Rng r(seed);
  Scene p = gt;
  for (auto& b : p.bands) {
    b.base += uniform(r, -6, 6);
    b.phase += uniform(r, -0.2, 0.2);
    if (r() % 12 == 0) b.category = kStuffIds[pick(r, 10)];
  }
  std::vector<Thing> things;
  for (Thing t : gt.things) {
    if (r() % 10 == 0) continue;  // missed
    double shift = uniform(r, 0, 0.3);
    for (auto& s : t.parts) {
      s.cx += uniform(r, -shift, shift) * s.rx, s.cy += uniform(r, -shift, shift) * s.ry;
      s.rx *= uniform(r, 0.85, 1.15), s.ry *= uniform(r, 0.85, 1.15);
    }
    if (r() % 15 == 0) t.category = kThingIds[pick(r, 20)];
    t.score = std::clamp(1.0 - shift - uniform(r, 0, 0.3), 0.05, 1.0);
    // Scores on a 1/1000 grid so that ties occur, as in real detectors' rounded outputs.
    t.score = std::round(t.score * 1000) / 1000;
    things.push_back(t);
  }
  int fp = pick(r, 3);
  for (int k = 0; k < fp; ++k) {
    Thing t;
    t.category = kThingIds[pick(r, 20)];
    t.parts.push_back(random_shape(r, w, h, uniform(r, 5, 40)));
    t.score = std::round(uniform(r, 0.05, 0.5) * 1000) / 1000;
    things.push_back(t);
  }
  p.things = std::move(things);
  return p;
}

void paint_shape(std::vector<uint32_t>& ids, int w, int h, const Shape& s, uint32_t value) {
  const double ext = std::max(s.rx, s.ry) * 1.5;
  int x0 = std::max(0, int(s.cx - ext)), x1 = std::min(w - 1, int(s.cx + ext));
  int y0 = std::max(0, int(s.cy - ext)), y1 = std::min(h - 1, int(s.cy + ext));
  const double c = std::cos(s.angle), sn = std::sin(s.angle);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      double dx = x + 0.5 - s.cx, dy = y + 0.5 - s.cy;
      double u = (dx * c + dy * sn) / s.rx, v = (-dx * sn + dy * c) / s.ry;
      bool in = s.ellipse ? u * u + v * v <= 1 : std::abs(u) <= 1 && std::abs(v) <= 1;
      if (in) ids[std::size_t(y) * w + x] = value;
    }
}

struct Rendered {
  std::vector<uint32_t> ids;
  std::vector<PanopticSegmentOut> segments;
  std::vector<const Thing*> seg_things;  // per segment: the thing, or nullptr for stuff
};

Rendered render(const Scene& sc, uint64_t seed, int w, int h, bool with_scores) {
  Rng r(seed);
  Rendered out;
  out.ids.assign(std::size_t(w) * h, 0);
  std::unordered_set<uint32_t> used{0};
  auto fresh_id = [&]() {
    uint32_t id;
    do id = uint32_t(r() & 0xffffff); while (!used.insert(id).second);
    return id;
  };
  struct Pending {
    uint32_t id;
    int64_t category;
    int iscrowd;
    const Thing* thing;
  };
  std::vector<Pending> order;
  // Stuff: a band per category; the same category appearing twice shares one segment.
  std::vector<uint32_t> band_ids;
  for (const auto& b : sc.bands) {
    uint32_t id = 0;
    for (std::size_t k = 0; k < order.size(); ++k)
      if (order[k].category == b.category) id = order[k].id;
    if (!id) id = fresh_id(), order.push_back({id, b.category, 0, nullptr});
    band_ids.push_back(id);
  }
  for (int x = 0; x < w; ++x) {
    for (std::size_t b = 0; b < sc.bands.size(); ++b) {
      const Band& band = sc.bands[b];
      int top = b == 0 ? 0 : std::clamp(int(band.base + band.amplitude * std::sin(band.frequency * x + band.phase)), 0, h);
      for (int y = top; y < h; ++y) out.ids[std::size_t(y) * w + x] = band_ids[b];
    }
  }
  for (const auto& v : sc.voids) paint_shape(out.ids, w, h, v, 0);
  for (const auto& t : sc.things) {
    uint32_t id = fresh_id();
    for (const auto& s : t.parts) paint_shape(out.ids, w, h, s, id);
    order.push_back({id, t.category, t.crowd ? 1 : 0, &t});
  }
  auto stats = segment_stats(out.ids.data(), w, h);
  for (const auto& p : order) {
    auto it = stats.find(p.id);
    if (it == stats.end()) continue;  // fully occluded
    PanopticSegmentOut s;
    s.id = p.id, s.category_id = p.category, s.iscrowd = p.iscrowd;
    s.area = it->second.area, s.bbox = it->second.bbox();
    if (with_scores) s.score = p.thing ? p.thing->score : 1.0;
    out.segments.push_back(s);
    out.seg_things.push_back(p.thing);
  }
  return out;
}

// RGB rendering: stuff textured per category, things shaded towards their centre, void dark.
cv::Mat render_rgb(const Rendered& gt, const CategorySet& cats, int w, int h, uint64_t seed) {
  std::unordered_map<uint32_t, std::pair<const Category*, const PanopticSegmentOut*>> by_id;
  for (const auto& s : gt.segments) by_id[s.id] = {cats.find(s.category_id), &s};
  cv::Mat img(h, w, CV_8UC3);
  Rng r(seed);
  uint32_t last = ~0u;
  const Category* cat = nullptr;
  const PanopticSegmentOut* seg = nullptr;
  for (int y = 0; y < h; ++y) {
    auto* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      uint32_t id = gt.ids[std::size_t(y) * w + x];
      if (id != last) {
        auto it = by_id.find(id);
        cat = it == by_id.end() ? nullptr : it->second.first;
        seg = it == by_id.end() ? nullptr : it->second.second;
        last = id;
      }
      int noise = int(r() % 17) - 8;
      int rgb[3] = {40, 40, 40};
      double gain = 1.0;
      if (cat) {
        for (int k = 0; k < 3; ++k) rgb[k] = cat->color[k];
        if (!cat->isthing) {
          int period = 3 + int(cat->id % 7);
          gain = ((x / period + y / (period + 1)) & 1) ? 0.8 : 1.1;
        } else {
          double cx = seg->bbox[0] + seg->bbox[2] / 2.0, cy = seg->bbox[1] + seg->bbox[3] / 2.0;
          double d = std::hypot((x - cx) / (seg->bbox[2] + 1.0), (y - cy) / (seg->bbox[3] + 1.0));
          gain = 1.15 - 0.6 * d;
        }
      }
      for (int k = 0; k < 3; ++k) row[3 * x + 2 - k] = uint8_t(std::clamp(int(rgb[k] * gain) + noise, 0, 255));
    }
  }
  return img;
}

struct ImageOut {
  std::string stem;
  std::vector<PanopticSegmentOut> gt, pred;
};

void write_panoptic_json(const std::string& path, const std::vector<ImageOut>& images, bool pred,
                         const SynthOptions& o, const CategorySet& cats) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("info"), w.StartObject(), w.Key("description"), w.String("segx synthetic dataset");
  w.Key("seed"), w.Uint64(o.seed), w.EndObject();
  w.Key("licenses"), w.StartArray(), w.EndArray();
  w.Key("images"), w.StartArray();
  for (std::size_t i = 0; i < images.size(); ++i) {
    w.StartObject();
    w.Key("id"), w.Int64(int64_t(i) + 1);
    w.Key("width"), w.Int(o.width), w.Key("height"), w.Int(o.height);
    w.Key("file_name"), w.String((images[i].stem + ".jpg").c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("annotations"), w.StartArray();
  for (std::size_t i = 0; i < images.size(); ++i) {
    w.StartObject();
    w.Key("image_id"), w.Int64(int64_t(i) + 1);
    w.Key("file_name"), w.String((images[i].stem + ".png").c_str());
    w.Key("segments_info"), write_segments_info(w, pred ? images[i].pred : images[i].gt);
    w.EndObject();
  }
  w.EndArray();
  w.Key("categories"), cats.write_json(w);
  w.EndObject();
  io::write_file_atomic(path, std::string(buf.GetString(), buf.GetSize()) + "\n");
}

}  // namespace

CategorySet synth_categories() {
  std::vector<Category> list;
  auto color = [](int64_t id) {
    uint64_t v = splitmix(uint64_t(id) * 7919);
    return std::array<uint8_t, 3>{uint8_t(40 + v % 200), uint8_t(40 + (v >> 8) % 200), uint8_t(40 + (v >> 16) % 200)};
  };
  for (int64_t id : kThingIds) list.push_back({id, "thing_" + std::to_string(id), "thing", true, true, color(id)});
  for (int64_t id : kStuffIds) list.push_back({id, "stuff_" + std::to_string(id), "stuff", false, true, color(id)});
  return CategorySet(std::move(list));
}

void generate_synth(const SynthOptions& o, const std::string& out_dir) {
  if (o.images < 1 || o.width < 8 || o.height < 8)
    fail(ErrorKind::Usage, "synthetic dataset needs at least 1 image of at least 8x8 pixels");
  const CategorySet cats = synth_categories();
  io::StagedDir stage(out_dir, o.overwrite);
  const fs::path root = stage.path();
  fs::create_directories(root / "panoptic_gt");
  if (o.predictions) fs::create_directories(root / "panoptic_pred");
  if (o.rgb_images) fs::create_directories(root / "images");
  std::vector<ImageOut> images(std::size_t(o.images));
  Progress progress("generating", images.size());
  parallel_for(images.size(), resolve_threads(o.threads), [&](std::size_t i, int) {
    const uint64_t s = splitmix(o.seed * 1000003ull + i);
    char stem[32];
    std::snprintf(stem, sizeof stem, "%012zu", i + 1);
    ImageOut& im = images[i];
    im.stem = stem;
    Scene scene = make_scene(s, o.width, o.height);
    Rendered gt = render(scene, splitmix(s + 1), o.width, o.height, false);
    io::write_panoptic_png((root / "panoptic_gt" / (im.stem + ".png")).string(), o.width, o.height, gt.ids.data());
    im.gt = gt.segments;
    if (o.rgb_images) {
      cv::Mat rgb = render_rgb(gt, cats, o.width, o.height, splitmix(s + 2));
      std::string path = (root / "images" / (im.stem + ".jpg")).string();
      const auto jpeg = io::encode_image(".jpg", rgb, {1, 92}, path);  // 1: IMWRITE_JPEG_QUALITY
      io::write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()), true);
    }
    if (o.predictions) {
      Rendered pred = render(perturb(scene, splitmix(s + 3), o.width, o.height), splitmix(s + 4), o.width, o.height, true);
      io::write_panoptic_png((root / "panoptic_pred" / (im.stem + ".png")).string(), o.width, o.height, pred.ids.data());
      im.pred = pred.segments;
    }
    progress.advance();
  });
  progress.finish();

  {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    cats.write_json(w);
    io::write_file_atomic((root / "categories.json").string(), std::string(buf.GetString(), buf.GetSize()) + "\n");
  }
  write_panoptic_json((root / "panoptic_gt.json").string(), images, false, o, cats);
  if (o.predictions) write_panoptic_json((root / "panoptic_pred.json").string(), images, true, o, cats);

  // The segx manifest of the ground truth (paths relative to the manifest's directory).
  io::AtomicOutput manifest((root / "manifest.jsonl").string());
  ManifestWriter mw(manifest.stream());
  mw.write_header(make_header("synth", cats));
  for (std::size_t i = 0; i < images.size(); ++i) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("type"), w.String("image");
    w.Key("image_id"), w.Int64(int64_t(i) + 1);
    w.Key("file_name"), w.String(("images/" + images[i].stem + ".jpg").c_str());
    w.Key("height"), w.Int(o.height), w.Key("width"), w.Int(o.width);
    w.Key("pan_seg_file_name"), w.String(("panoptic_gt/" + images[i].stem + ".png").c_str());
    w.Key("segments_info"), write_segments_info(w, images[i].gt);
    w.EndObject();
    mw.write_raw(std::string_view(buf.GetString(), buf.GetSize()));
  }
  manifest.commit();
  stage.commit();
}

}  // namespace segx::dataset
