// Painting instance masks into a panoptic id map in the order a policy gives.
#include "segx/dataset/instances_to_panoptic.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/segment_stats.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/polygon.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

OverlapPolicy parse_overlap_policy(const std::string& name) {
  if (name == "error") return OverlapPolicy::Error;
  if (name == "skip") return OverlapPolicy::Skip;
  if (name == "score") return OverlapPolicy::Score;
  if (name == "larger") return OverlapPolicy::Larger;
  if (name == "smaller") return OverlapPolicy::Smaller;
  fail(ErrorKind::Usage, "unknown overlap policy '{}' (error, skip, score, larger, smaller)", name);
}

namespace {

std::string png_name(const ImageInfo& im) {
  if (im.file_name.empty()) return im.key + ".png";
  std::string base = fs::path(im.file_name).filename().string();
  return base.substr(0, base.rfind('.')) + ".png";
}

}  // namespace

void instances_to_panoptic(const CocoInstances& in, const CocoInstances& images,
                           const InstancesToPanopticOptions& options, const std::string& out_json,
                           const std::string& out_dir) {
  if (images.images.empty())
    fail(ErrorKind::DataError, "'{}': no \"images\" list to take image sizes from", images.path);
  std::vector<std::vector<std::size_t>> by_image(images.images.size());
  for (std::size_t i = 0; i < in.annotations.size(); ++i) {
    const auto& a = in.annotations[i];
    auto it = images.image_index.find(a.image_key);
    if (it == images.image_index.end())
      fail(ErrorKind::DataError, "{}: unknown image id", in.where(a, i));
    if (options.min_score > 0 && a.score && *a.score < options.min_score) continue;
    by_image[it->second].push_back(i);
  }
  struct Result {
    std::vector<PanopticSegmentOut> segments;
  };
  std::vector<Result> results(images.images.size());
  // PNGs are named after the images' file names: two images of one name in different folders
  // would write one file, so that is refused before anything is written.
  io::OutputNames names;
  for (const auto& im : images.images)
    names.claim(png_name(im), fmt::format("'{}': image {}", images.path, im.key));
  io::StagedDir stage(out_dir, options.overwrite);
  Progress progress("instances -> panoptic", images.images.size());
  parallel_for(images.images.size(), resolve_threads(options.threads), [&](std::size_t k, int) {
    const ImageInfo& im = images.images[k];
    const uint32_t h = uint32_t(im.height), w = uint32_t(im.width);
    struct Item {
      std::size_t ann;
      mask::Rle rle;
      uint64_t area;
    };
    std::vector<Item> items;
    for (std::size_t i : by_image[k]) {
      const auto& a = in.annotations[i];
      mask::Rle rle;
      if (a.segmentation) {
        rle = segmentation_to_rle(*a.segmentation, h, w, in.where(a, i));
      } else if (a.bbox && a.bbox->IsArray() && a.bbox->Size() == 4) {
        mask::Box b{};
        for (int c = 0; c < 4; ++c) b[std::size_t(c)] = (*a.bbox)[rapidjson::SizeType(c)].GetDouble();
        rle = mask::from_box(b, h, w);
      } else {
        fail(ErrorKind::DataError, "{}: neither segmentation nor bbox", in.where(a, i));
      }
      uint64_t area = mask::area(rle);
      items.push_back({i, std::move(rle), area});
    }
    std::vector<std::size_t> order(items.size());
    std::iota(order.begin(), order.end(), 0);
    auto score = [&](std::size_t j) { return in.annotations[items[j].ann].score.value_or(0); };
    switch (options.overlap) {
      case OverlapPolicy::Score:
        std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return score(x) > score(y); });
        break;
      case OverlapPolicy::Larger:
        std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return items[x].area > items[y].area; });
        break;
      case OverlapPolicy::Smaller:
        std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return items[x].area < items[y].area; });
        break;
      default: break;
    }
    std::vector<uint32_t> ids(std::size_t(h) * w, 0);
    for (std::size_t n = 0; n < order.size(); ++n) {
      const Item& it = items[order[n]];
      const uint32_t seg_id = uint32_t(n + 1);
      // Column-major runs: pixel index p -> (p % h, p / h).
      std::size_t p = 0;
      bool on = false;
      for (uint32_t run : it.rle.counts) {
        if (on)
          for (std::size_t q = p; q < p + run; ++q) {
            uint32_t& px = ids[(q % h) * w + q / h];
            if (px == 0) {
              px = seg_id;
            } else if (options.overlap == OverlapPolicy::Error) {
              const auto& other = items[order[px - 1]];
              fail(ErrorKind::DataError, "{} overlaps annotation {} (use --overlap to choose a winner)",
                   in.where(in.annotations[it.ann], it.ann),
                   in.annotations[other.ann].id ? std::to_string(*in.annotations[other.ann].id) : "#" + std::to_string(other.ann));
            }
          }
        p += run;
        on = !on;
      }
    }
    auto stats = segment_stats(ids.data(), int(w), int(h));
    for (std::size_t n = 0; n < order.size(); ++n) {
      auto st = stats.find(uint32_t(n + 1));
      if (st == stats.end()) continue;
      const auto& a = in.annotations[items[order[n]].ann];
      PanopticSegmentOut s;
      s.id = uint32_t(n + 1), s.category_id = a.category_id, s.iscrowd = a.iscrowd;
      s.area = st->second.area, s.bbox = st->second.bbox(), s.score = a.score;
      results[k].segments.push_back(s);
    }
    std::sort(results[k].segments.begin(), results[k].segments.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    io::write_panoptic_png((stage.path() / png_name(im)).string(), int(w), int(h), ids.data());
    progress.advance();
  });
  progress.finish();

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  if (!images.is_results)
    for (const char* key : {"info", "licenses"})
      if (const auto* v = find_member(images.doc, key)) w.Key(key), v->Accept(w);
  w.Key("images"), w.StartArray();
  for (const auto& im : images.images) im.json->Accept(w);
  w.EndArray();
  w.Key("annotations"), w.StartArray();
  for (std::size_t k = 0; k < images.images.size(); ++k) {
    w.StartObject();
    w.Key("image_id"), images.images[k].id->Accept(w);
    w.Key("file_name"), w.String(png_name(images.images[k]).c_str());
    w.Key("segments_info"), write_segments_info(w, results[k].segments);
    w.EndObject();
  }
  w.EndArray();
  std::vector<Category> cats = images.categories.list();
  for (auto& c : cats) c.isthing = true;  // every instance category is a thing
  w.Key("categories"), CategorySet(std::move(cats)).write_json(w);
  w.EndObject();
  io::commit_json_and_dir(stage, out_json, {buf.GetString(), buf.GetSize()});
}

}  // namespace segx::dataset
