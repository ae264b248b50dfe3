// Fuzz target: segx manifests (JSON Lines: a header with the dataset and its categories, then
// one record per image), read line by line as every command reads them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>

#include "segx/dataset/manifest.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::run([&] {
    auto in = std::make_unique<std::istringstream>(std::string(segx::fuzz::as_text(data, size)));
    segx::dataset::ManifestReader reader(std::move(in), "fuzz.jsonl");
    segx::dataset::JsonDocument record;
    while (reader.next(record)) {
      reader.where();
      segx::fuzz::run([&] { segx::dataset::record_image_id(record); });
      if (const auto* f = segx::dataset::find_member(record, "file_name"))
        if (f->IsString()) reader.resolve(f->GetString());
    }
  });
  return 0;
}
