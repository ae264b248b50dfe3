// Semantic evaluation driver: folder pairing and per-thread confusion matrices.
#include "segx/metrics/semantic_eval.hpp"

#include <algorithm>
#include <filesystem>
#include <future>
#include <memory>
#include <unordered_set>

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
  io::PngRows gt;  // the ground truth's rows as decoded, not copied into an Image
  // A row of 1, 2 or 4-bit samples unpacked, or of 16-bit samples in native byte order; one of
  // each for the GT and the prediction.
  std::vector<std::uint8_t> gt8, pred8;
  std::vector<std::uint16_t> gt16, pred16;
};

// One row's values as counted: 8-bit rows as decoded, the others unpacked into `u8` or `u16`.
// Returns the values and sets `wide` when they are 16-bit.
const void* label_row(const io::PngHeader& h, const std::uint8_t* row, std::vector<std::uint8_t>& u8,
                      std::vector<std::uint16_t>& u16, bool& wide) {
  wide = h.bit_depth == 16;
  if (h.bit_depth == 8) return row;
  if (wide) {
    u16.resize(std::size_t(h.width));
    io::unpack_one_channel_row(h, row, u16.data());
    return u16.data();
  }
  u8.resize(std::size_t(h.width));
  io::unpack_one_channel_row(h, row, u8.data());
  return u8.data();
}

// Counts one row of pixels, whatever the two sides' sample sizes.
void add_pixels(ConfusionMatrix& m, const void* gt, bool gt16, const void* pred, bool pred16,
                std::size_t n, const LabelMap& gm, const LabelMap& pm, const SemanticImagePair& pair) {
  using U8 = std::uint8_t;
  using U16 = std::uint16_t;
  const bool ok = gt16 ? (pred16 ? m.add(static_cast<const U16*>(gt), static_cast<const U16*>(pred), n, gm, pm)
                                 : m.add(static_cast<const U16*>(gt), static_cast<const U8*>(pred), n, gm, pm))
                       : (pred16 ? m.add(static_cast<const U8*>(gt), static_cast<const U16*>(pred), n, gm, pm)
                                 : m.add(static_cast<const U8*>(gt), static_cast<const U8*>(pred), n, gm, pm));
  if (!ok) {
    const auto& bad = m.first_invalid();
    fail(ErrorKind::DataError, "'{}': label value {} is neither a class (0..{}) nor ignored",
         bad.gt ? pair.gt_png : pair.pred_png, bad.value, m.num_classes() - 1);
  }
}

// The whole ground truth is decoded first; each prediction row is counted against it as soon as
// it is decoded, straight from the decoders' buffers (8-bit rows are never copied).
void add_image(ConfusionMatrix& m, const SemanticImagePair& pair, const LabelMap& gm,
               const LabelMap& pm, Scratch& s) {
  io::read_png_rows(pair.gt_png, s.gt);
  const io::PngHeader& gh = s.gt.header;
  require_one_channel(gh.channels(), pair.gt_png);
  const std::size_t width = std::size_t(gh.width);
  bool gt_wide = false, pred_wide = false;
  if (pair.pred_png.empty()) {
    // No prediction: every pixel predicted as "nothing" (an ignore value maps to that column).
    std::uint16_t none = 0;
    while (none < 65535 && pm[none] != LabelMap::kIgnore) ++none;
    if (pm[none] != LabelMap::kIgnore)
      fail(ErrorKind::Usage, "--allow-missing needs an ignore index for missing predictions");
    s.pred16.assign(width, none);
    for (int y = 0; y < gh.height; ++y)
      add_pixels(m, label_row(gh, s.gt.row(y), s.gt8, s.gt16, gt_wide), gt_wide, s.pred16.data(), true,
                 width, gm, pm, pair);
    return;
  }
  io::decode_png_rows(pair.pred_png, [&](const io::PngHeader& h, int y, const std::uint8_t* row) {
    if (y == 0) {
      require_one_channel(h.channels(), pair.pred_png);
      if (h.width != gh.width || h.height != gh.height)
        fail(ErrorKind::DataError, "'{}' is {}x{} but the ground truth '{}' is {}x{}", pair.pred_png,
             h.width, h.height, pair.gt_png, gh.width, gh.height);
    }
    const void* pred = label_row(h, row, s.pred8, s.pred16, pred_wide);
    const void* gt = label_row(gh, s.gt.row(y), s.gt8, s.gt16, gt_wide);
    add_pixels(m, gt, gt_wide, pred, pred_wide, width, gm, pm, pair);
  });
}

// The regular files under `dir`, as paths relative to it in generic form. Lexical: the iterator
// yields paths under dir as given (fs::relative would resolve both paths through the file system,
// some 10 system calls a file).
template <typename Container = std::vector<std::string>>
Container regular_files_under(const std::string& dir) {
  Container files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.insert(files.end(), entry.path().lexically_relative(dir).generic_string());
  return files;
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
  // The prediction folder is listed on a second thread while the GT folder is walked: one listing
  // costs half as much as a stat of each expected prediction file.
  auto listed_predictions = std::async(std::launch::async, [&] { return regular_files_under<std::unordered_set<std::string>>(pred_dir); });
  const std::vector<std::string> gt_files = regular_files_under(gt_dir);
  const std::unordered_set<std::string> predictions = listed_predictions.get();
  std::vector<SemanticImagePair> pairs;
  for (const std::string& rel : gt_files) {
    if (!ends_with(rel, gt_suffix)) continue;
    SemanticImagePair pair;
    pair.key = rel.substr(0, rel.size() - gt_suffix.size());
    pair.gt_png = (fs::path(gt_dir) / rel).string();
    const fs::path pred = fs::path(pred_dir) / (pair.key + pred_suffix);
    // A name the listing does not hold as written (a suffix with "..", say) is asked of the file system.
    if (predictions.count(pair.key + pred_suffix) || fs::is_regular_file(pred)) {
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
