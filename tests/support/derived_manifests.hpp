// Manifests of the other annotation kinds segx trains on (DaTaSeg co-training tests), derived
// from a panoptic segx manifest (e.g. `segx convert synth`): boxes-only and instance-only (the
// thing segments as COCO-style annotations, the header listing the thing categories only) and
// semantic-only (one label PNG per image, category ids, 0 unlabeled).
#pragma once
#include <filesystem>
#include <string>

namespace segx::test {

enum class DerivedKind { Boxes, Instances, Semantic };

// Writes `out` with dataset name `dataset` (the header's) from `panoptic`; image paths are
// absolute, label PNGs go to a folder beside `out` named after its stem.
void derive_manifest(const std::filesystem::path& panoptic, const std::filesystem::path& out,
                     DerivedKind kind, const std::string& dataset);

}  // namespace segx::test
