// The floor for `segx eval pq|miou`: decoding the same PNGs and nothing else, on the same threads.
// Usage: bench_eval_decode panoptic|semantic THREADS DIR...  (every *.png under each DIR)
//        bench_eval_decode rle-manifest PANOPTIC_JSON PNG_DIR OUT.jsonl  (segments as RLE only,
//        the input of PQ without PNG decoding; `segx convert` writes PNG manifests)
// With ROWS_ONLY set in the environment, semantic PNGs are decoded row by row and not kept (the
// bound below any reader that keeps an image).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "segx/core/parallel.hpp"
#include "segx/mask/rle.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"

static int make_rle_manifest(const std::string& json, const std::string& dir, const std::string& out_path) {
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  std::ofstream out(out_path);
  out << nlohmann::json{{"type", "header"}, {"segx_manifest", 1}, {"dataset", "bench"},
                        {"categories", j["categories"]}}.dump() << "\n";
  for (const auto& a : j["annotations"]) {
    const auto ids = segx::io::read_panoptic_png(dir + "/" + a["file_name"].get<std::string>());
    std::map<std::uint32_t, std::string> counts;
    for (auto& [id, rle] : segx::mask::encode_labels(ids.ids.data(), std::uint32_t(ids.height), std::uint32_t(ids.width)))
      counts[id] = segx::mask::to_string(rle);
    nlohmann::json rec = {{"type", "image"}, {"image_id", a["image_id"]}, {"height", ids.height},
                          {"width", ids.width}, {"segments_info", a["segments_info"]}};
    for (auto& s : rec["segments_info"])
      s["segmentation"] = {{"size", {ids.height, ids.width}}, {"counts", counts[s["id"].get<std::uint32_t>()]}};
    out << rec.dump() << "\n";
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "rle-manifest") return make_rle_manifest(argv[2], argv[3], argv[4]);
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s panoptic|semantic THREADS DIR...\n", argv[0]);
    return 64;
  }
  const bool panoptic = std::string(argv[1]) == "panoptic";
  const bool rows_only = std::getenv("ROWS_ONLY") != nullptr;
  const int threads = std::stoi(argv[2]);
  std::vector<std::string> files;
  for (int i = 3; i < argc; ++i)
    for (const auto& e : std::filesystem::recursive_directory_iterator(argv[i]))
      if (e.path().extension() == ".png") files.push_back(e.path().string());
  // Buffers reused from image to image, as the eval commands reuse theirs.
  std::vector<segx::io::PanopticIds> scratch(static_cast<std::size_t>(segx::resolve_threads(threads)));
  std::vector<segx::io::Image> images(scratch.size());
  const auto t0 = std::chrono::steady_clock::now();
  segx::parallel_for(files.size(), threads, [&](std::size_t i, int w) {
    if (panoptic) segx::io::read_panoptic_png(files[i], scratch[std::size_t(w)]);
    else if (rows_only) segx::io::decode_png_rows(files[i], [](const segx::io::PngHeader&, int, const std::uint8_t*) {});
    else segx::io::read_png(files[i], images[std::size_t(w)]);
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("decode-only %s: %zu PNGs in %.2f s wall (%d threads)\n", argv[1], files.size(), s, threads);
  return 0;
}
