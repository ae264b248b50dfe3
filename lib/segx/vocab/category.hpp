// A dataset's category list as the vocabulary sees it: id, name, thing/stuff, color, plus the
// original JSON object so that mapping back restores every field (supercategory, trainId, ...).
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace segx::vocab {

using Json = nlohmann::ordered_json;
using Rgb = std::array<int, 3>;

struct Category {
  std::int64_t id = 0;
  std::string name;
  bool isthing = false;
  std::optional<Rgb> color;
  Json raw = Json::object();  // the category as read, unknown fields included
};

struct CategoryList {
  std::string dataset;  // dataset name (header "dataset", or the file stem)
  std::vector<Category> categories;
  std::string origin;  // where it was read from, for messages ("coco.json", "-")
};

// Reads one category object ({"id", "name", "isthing", "color", ...}); `where` names the file and
// position for errors (DataError).
Category category_from_json(const Json& object, const std::string& where);

// Builds a list from a JSON array of category objects and rejects duplicate ids (DataError
// naming `origin`).
CategoryList category_list_from_json(const std::string& dataset, const Json& array,
                                     const std::string& origin);

// Throws DataError when two categories share an id, or an id is negative.
void validate(const CategoryList& list);

// The category object to write back: the object as read when there is one (so that mapping back
// is the identity), else one made of id, name, isthing and color.
Json category_to_json(const Category& category);

}  // namespace segx::vocab
