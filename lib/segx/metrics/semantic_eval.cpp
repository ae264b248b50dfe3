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

void require_one_channel(int channels, const std::string& path) {
  if (channels != 1)
    fail(ErrorKind::DataError, "'{}': a label PNG needs one channel (grey or palette), not {}", path,
         channels);
}

// Per-thread buffers, reused from image to image.
struct Scratch {
  io::Image gt;
  std::vector<std::uint8_t> row8;    // a prediction row of 1, 2 or 4-bit samples, unpacked
  std::vector<std::uint16_t> row16;  // a 16-bit prediction row in native byte order
};

// Counts one stretch of pixels, whatever the two sides' sample sizes.
void add_pixels(ConfusionMatrix& m, const std::uint8_t* gt, bool gt16, const void* pred, bool pred16,
                std::size_t n, const LabelMap& gm, const LabelMap& pm, const SemanticImagePair& pair) {
  using U8 = std::uint8_t;
  using U16 = std::uint16_t;
  const U16* g16 = reinterpret_cast<const U16*>(gt);
  const bool ok = gt16 ? (pred16 ? m.add(g16, static_cast<const U16*>(pred), n, gm, pm)
                                 : m.add(g16, static_cast<const U8*>(pred), n, gm, pm))
                       : (pred16 ? m.add(gt, static_cast<const U16*>(pred), n, gm, pm)
                                 : m.add(gt, static_cast<const U8*>(pred), n, gm, pm));
  if (!ok) {
    const auto& bad = m.first_invalid();
    fail(ErrorKind::DataError, "'{}': label value {} is neither a class (0..{}) nor ignored",
         bad.gt ? pair.gt_png : pair.pred_png, bad.value, m.num_classes() - 1);
  }
}

// The whole ground truth is decoded first; each prediction row is counted against it as soon as
// it is decoded, straight from the decoder's buffer (8-bit rows need no copy).
void add_image(ConfusionMatrix& m, const SemanticImagePair& pair, const LabelMap& gm,
               const LabelMap& pm, Scratch& s) {
  io::read_png(pair.gt_png, s.gt);
  require_one_channel(s.gt.channels, pair.gt_png);
  const io::Image& gt = s.gt;
  const bool gt16 = gt.bit_depth == 16;
  const std::size_t width = std::size_t(gt.width);
  if (pair.pred_png.empty()) {
    // No prediction: every pixel predicted as "nothing" (an ignore value maps to that column).
    std::uint16_t none = 0;
    while (none < 65535 && pm[none] != LabelMap::kIgnore) ++none;
    if (pm[none] != LabelMap::kIgnore)
      fail(ErrorKind::Usage, "--allow-missing needs an ignore index for missing predictions");
    s.row16.assign(width, none);
    for (int y = 0; y < gt.height; ++y)
      add_pixels(m, gt.data.data() + gt.row_bytes() * std::size_t(y), gt16, s.row16.data(), true,
                 width, gm, pm, pair);
    return;
  }
  io::decode_png_rows(pair.pred_png, [&](const io::PngHeader& h, int y, const std::uint8_t* row) {
    if (y == 0) {
      require_one_channel(h.channels(), pair.pred_png);
      if (h.width != gt.width || h.height != gt.height)
        fail(ErrorKind::DataError, "'{}' is {}x{} but the ground truth '{}' is {}x{}", pair.pred_png,
             h.width, h.height, pair.gt_png, gt.width, gt.height);
    }
    const void* pred = row;  // 8-bit rows are the values as they are
    if (h.bit_depth == 16) {
      s.row16.resize(width);
      io::unpack_one_channel_row(h, row, s.row16.data());
      pred = s.row16.data();
    } else if (h.bit_depth < 8) {
      s.row8.resize(width);
      io::unpack_one_channel_row(h, row, s.row8.data());
      pred = s.row8.data();
    }
    add_pixels(m, gt.data.data() + gt.row_bytes() * std::size_t(y), gt16, pred, h.bit_depth == 16,
               width, gm, pm, pair);
  });
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
    // Lexical: the iterator yields paths under gt_dir as given (fs::relative would resolve both
    // paths through the file system, some 10 system calls a file).
    const std::string rel = entry.path().lexically_relative(gt_dir).generic_string();
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
  std::vector<Scratch> scratch(static_cast<std::size_t>(threads));
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("miou", pairs.size());
  parallel_for(pairs.size(), threads, [&](std::size_t i, int worker) {
    add_image(per_thread[std::size_t(worker)], pairs[i], gt_map, pred_map, scratch[std::size_t(worker)]);
    if (progress) progress->advance();
  });
  ConfusionMatrix total(num_classes);
  for (const auto& m : per_thread) total.merge(m);  // integer sums: any order gives the same
  return total;
}

}  // namespace segx::metrics
