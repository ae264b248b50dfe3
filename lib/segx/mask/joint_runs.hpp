// Walking two run-length masks of one size together: the one loop behind IoU (mask/iou.cpp) and
// union/intersection (mask/rle.cpp), so both read the runs exactly alike.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace segx::mask {

// Calls visit(length, in_a, in_b) for each stretch of pixels over which neither mask changes
// value, in order, starting with a's and b's leading background runs. Stretches may have length 0
// (a run count of 0, as a mask that starts with foreground has); callers must accept them.
template <class Visit>
void for_each_joint_run(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                        Visit&& visit) {
  size_t ia = 1, ib = 1;
  uint32_t ca = a.empty() ? 0 : a[0], cb = b.empty() ? 0 : b[0];
  bool va = false, vb = false;
  for (;;) {
    const uint32_t c = std::min(ca, cb);
    visit(c, va, vb);
    ca -= c;
    cb -= c;
    if (ca == 0 && ia < a.size()) {
      ca = a[ia++];
      va = !va;
    }
    if (cb == 0 && ib < b.size()) {
      cb = b[ib++];
      vb = !vb;
    }
    if (ca == 0 && cb == 0) break;
  }
}

}  // namespace segx::mask
