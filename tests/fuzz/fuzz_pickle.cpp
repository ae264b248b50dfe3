// Fuzz target: the restricted unpickler (protocols 0-5, the numpy and torch subset) and the
// detectron2 .pkl reader on top of it; torch storages are accepted as in a torch.save data.pkl.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "segx/io/checkpoint.hpp"
#include "segx/io/pickle.hpp"
#include "support/fuzz_support.hpp"

namespace {

// Visits every value reachable from `o` once (a pickle's memo can make a list hold itself).
void visit(const segx::io::pickle::Object* o, std::unordered_set<const void*>& seen) {
  if (!o || !seen.insert(o).second) return;
  segx::io::pickle::text_of(*o);
  segx::io::pickle::scalar_text(*o);
  for (const auto* child : o->items) visit(child, seen);
  for (const auto& [key, value] : o->entries) {
    visit(key, seen);
    visit(value, seen);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  const std::string bytes(segx::fuzz::as_text(data, size));
  for (bool torch : {false, true}) {
    segx::fuzz::run([&] {
      pickle::Options options;
      options.torch_storages = torch;
      auto doc = pickle::unpickle(bytes, "fuzz.pkl", options);
      std::unordered_set<const void*> seen;
      visit(&doc.root(), seen);
      pickle::dict_get(doc.root(), "model");
    });
  }
  // As a .pkl checkpoint (a pickle by content goes to read_detectron2_pkl's reader).
  segx::fuzz::run([&] { parse_checkpoint(bytes, "fuzz.pkl"); });
  return 0;
}
