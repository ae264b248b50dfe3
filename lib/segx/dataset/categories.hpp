// The label space of a dataset: categories with id, name, isthing, colour, as COCO panoptic
// and segx manifest headers list them.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "segx/dataset/json.hpp"

namespace segx::dataset {

struct Category {
  int64_t id = 0;
  std::string name;
  std::string supercategory;
  bool isthing = false;
  bool has_color = false;
  std::array<uint8_t, 3> color{};
};

class CategorySet {
 public:
  CategorySet() = default;
  explicit CategorySet(std::vector<Category> categories);

  // From a JSON array of category objects (COCO panoptic / manifest header); `where` for errors.
  static CategorySet from_json(const JsonValue& array, const std::string& where);

  const std::vector<Category>& list() const { return list_; }
  std::size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  // nullptr for an unknown id.
  const Category* find(int64_t id) const;
  // Position in list() (the contiguous id of Mask2Former's semantic PNGs), -1 when unknown.
  int index_of(int64_t id) const;

  // Writes [{"id":..,"name":..,"supercategory":..,"isthing":..,"color":[..]}, ...].
  void write_json(JsonWriter& w, bool with_isthing_and_color = true) const;

 private:
  std::vector<Category> list_;
  std::unordered_map<int64_t, int> index_;
};

}  // namespace segx::dataset
