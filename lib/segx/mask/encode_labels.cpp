// One pass over an id map producing the RLE of every non-zero id: the map is walked in
// column-major order (through a blocked transpose, which keeps the reads cache-friendly), and each
// run of one id extends that id's RLE by the gap since its previous run plus the run itself.
#include <algorithm>
#include <unordered_map>

#include "segx/mask/rle.hpp"

namespace segx::mask {

namespace {

struct Builder {
  uint64_t end = 0;  // column-major position just past the id's last pixel
  Rle rle;
};

// Row-major h x w -> column-major, in tiles so that both sides stay in cache.
void transpose(const uint32_t* in, uint32_t h, uint32_t w, std::vector<uint32_t>& out) {
  constexpr uint32_t kTile = 32;
  out.resize(size_t(h) * w);
  for (uint32_t y0 = 0; y0 < h; y0 += kTile)
    for (uint32_t x0 = 0; x0 < w; x0 += kTile) {
      const uint32_t y1 = std::min(h, y0 + kTile), x1 = std::min(w, x0 + kTile);
      for (uint32_t y = y0; y < y1; ++y)
        for (uint32_t x = x0; x < x1; ++x) out[size_t(x) * h + y] = in[size_t(y) * w + x];
    }
}

}  // namespace

std::vector<std::pair<uint32_t, Rle>> encode_labels(const uint32_t* ids, uint32_t height,
                                                    uint32_t width) {
  std::vector<uint32_t> col;
  transpose(ids, height, width, col);
  std::unordered_map<uint32_t, Builder> builders;
  Builder* last = nullptr;
  uint32_t last_id = 0;
  const uint64_t n = col.size();
  uint64_t pos = 0;
  while (pos < n) {
    const uint32_t id = col[pos];
    uint64_t end = pos + 1;
    while (end < n && col[end] == id) ++end;
    if (id != 0) {
      if (!last || id != last_id) {
        auto [it, fresh] = builders.try_emplace(id);
        if (fresh) it->second.rle = Rle{height, width, {}};
        last = &it->second;
        last_id = id;
      }
      last->rle.counts.push_back(uint32_t(pos - last->end));
      last->rle.counts.push_back(uint32_t(end - pos));
      last->end = end;
    }
    pos = end;
  }
  std::vector<std::pair<uint32_t, Rle>> out;
  out.reserve(builders.size());
  for (auto& [id, b] : builders) {
    // A mask that ends in foreground has no trailing zero run (as rleEncode).
    if (n > b.end) b.rle.counts.push_back(uint32_t(n - b.end));
    out.emplace_back(id, std::move(b.rle));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace segx::mask
