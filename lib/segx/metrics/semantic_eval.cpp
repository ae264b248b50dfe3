// Semantic evaluation driver: folder pairing and per-thread confusion matrices.
#include "segx/metrics/semantic_eval.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/io/png.hpp"

namespace segx::metrics {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A label PNG as one channel; rejects colour images, which are not label maps.
io::Image read_labels(const std::string& path) {
  io::Image img = io::read_png(path);
  if (img.channels != 1)
    fail(ErrorKind::DataError, "'{}': a label PNG needs one channel (grey or palette), not {}", path,
         img.channels);
  return img;
}

template <typename G, typename P>
bool add_typed(ConfusionMatrix& m, const io::Image& gt, const io::Image& pred, const LabelMap& gm,
               const LabelMap& pm) {
  const std::size_t n = std::size_t(gt.width) * std::size_t(gt.height);
  return m.add(reinterpret_cast<const G*>(gt.data.data()), reinterpret_cast<const P*>(pred.data.data()),
               n, gm, pm);
}

void add_image(ConfusionMatrix& m, const SemanticImagePair& pair, const LabelMap& gm,
               const LabelMap& pm) {
  const io::Image gt = read_labels(pair.gt_png);
  io::Image pred;
  if (pair.pred_png.empty()) {
    // No prediction: every pixel predicted as "nothing" (an ignore value maps to that column).
    pred.width = gt.width, pred.height = gt.height, pred.channels = 1, pred.bit_depth = 16;
    pred.data.assign(std::size_t(gt.width) * gt.height * 2, 0);
    std::uint16_t none = 0;
    while (none < 65535 && pm[none] != LabelMap::kIgnore) ++none;
    if (pm[none] != LabelMap::kIgnore)
      fail(ErrorKind::Usage, "--allow-missing needs an ignore index for missing predictions");
    std::fill(pred.data16(), pred.data16() + std::size_t(gt.width) * gt.height, none);
  } else {
    pred = read_labels(pair.pred_png);
  }
  if (gt.width != pred.width || gt.height != pred.height)
    fail(ErrorKind::DataError, "'{}' is {}x{} but the ground truth '{}' is {}x{}", pair.pred_png,
         pred.width, pred.height, pair.gt_png, gt.width, gt.height);
  const bool g16 = gt.bit_depth == 16, p16 = pred.bit_depth == 16;
  bool ok = g16 ? (p16 ? add_typed<std::uint16_t, std::uint16_t>(m, gt, pred, gm, pm)
                       : add_typed<std::uint16_t, std::uint8_t>(m, gt, pred, gm, pm))
                : (p16 ? add_typed<std::uint8_t, std::uint16_t>(m, gt, pred, gm, pm)
                       : add_typed<std::uint8_t, std::uint8_t>(m, gt, pred, gm, pm));
  if (!ok) {
    const auto& bad = m.first_invalid();
    fail(ErrorKind::DataError, "'{}': label value {} is neither a class (0..{}) nor ignored",
         bad.gt ? pair.gt_png : pair.pred_png, bad.value, m.num_classes() - 1);
  }
}

}  // namespace

std::vector<SemanticImagePair> pair_label_folders(const std::string& gt_dir,
                                                  const std::string& pred_dir,
                                                  const std::string& gt_suffix,
                                                  const std::string& pred_suffix,
                                                  bool allow_missing) {
  for (const auto& dir : {gt_dir, pred_dir})
    if (!fs::is_directory(dir))
      fail(ErrorKind::NoInput, "cannot open folder '{}': No such directory", dir);
  std::vector<SemanticImagePair> pairs;
  for (const auto& entry : fs::recursive_directory_iterator(gt_dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), gt_dir).generic_string();
    if (!ends_with(rel, gt_suffix)) continue;
    SemanticImagePair pair;
    pair.key = rel.substr(0, rel.size() - gt_suffix.size());
    pair.gt_png = entry.path().string();
    const fs::path pred = fs::path(pred_dir) / (pair.key + pred_suffix);
    if (fs::is_regular_file(pred)) {
      pair.pred_png = pred.string();
    } else if (!allow_missing) {
      fail(ErrorKind::NoInput, "no prediction '{}' for the ground truth '{}' (--allow-missing counts it as all wrong)",
           pred.string(), pair.gt_png);
    }
    pairs.push_back(std::move(pair));
  }
  if (pairs.empty())
    fail(ErrorKind::NoInput, "no ground-truth files ending in '{}' under '{}'", gt_suffix, gt_dir);
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  return pairs;
}

ConfusionMatrix evaluate_semantic(const std::vector<SemanticImagePair>& pairs, int num_classes,
                                  const LabelMap& gt_map, const LabelMap& pred_map,
                                  const SemanticEvalOptions& options) {
  const int threads = resolve_threads(options.threads);
  std::vector<ConfusionMatrix> per_thread(static_cast<std::size_t>(threads), ConfusionMatrix(num_classes));
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("miou", pairs.size());
  parallel_for(pairs.size(), threads, [&](std::size_t i, int worker) {
    add_image(per_thread[std::size_t(worker)], pairs[i], gt_map, pred_map);
    if (progress) progress->advance();
  });
  ConfusionMatrix total(num_classes);
  for (const auto& m : per_thread) total.merge(m);  // integer sums: any order gives the same
  return total;
}

}  // namespace segx::metrics
