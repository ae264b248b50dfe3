// Category objects: parsing with precise errors, validation, writing back unchanged.
#include "segx/vocab/category.hpp"

#include <unordered_map>

#include "segx/core/error.hpp"

namespace segx::vocab {

namespace {
Rgb color_from_json(const Json& value, const std::string& where) {
  if (!value.is_array() || value.size() != 3)
    fail(ErrorKind::DataError, "{}: 'color' must be an array of 3 integers", where);
  Rgb rgb{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!value[i].is_number_integer() || value[i].get<int>() < 0 || value[i].get<int>() > 255)
      fail(ErrorKind::DataError, "{}: 'color' values must be integers 0..255", where);
    rgb[i] = value[i].get<int>();
  }
  return rgb;
}
}  // namespace

Category category_from_json(const Json& object, const std::string& where) {
  if (!object.is_object())
    fail(ErrorKind::DataError, "{}: a category must be a JSON object", where);
  Category c;
  auto id = object.find("id");
  if (id == object.end() || !id->is_number_integer())
    fail(ErrorKind::DataError, "{}: category without an integer 'id'", where);
  c.id = id->get<std::int64_t>();
  auto name = object.find("name");
  if (name == object.end() || !name->is_string())
    fail(ErrorKind::DataError, "{}: category {} without a string 'name'", where, c.id);
  c.name = name->get<std::string>();
  // COCO instance files have no isthing: every category there is a thing.
  auto isthing = object.find("isthing");
  if (isthing == object.end()) {
    c.isthing = true;
  } else if (isthing->is_boolean()) {
    c.isthing = isthing->get<bool>();
  } else if (isthing->is_number_integer()) {
    c.isthing = isthing->get<int>() != 0;
  } else {
    fail(ErrorKind::DataError, "{}: category {} has a non-integer 'isthing'", where, c.id);
  }
  auto color = object.find("color");
  if (color != object.end() && !color->is_null())
    c.color = color_from_json(*color, fmt::format("{}: category {}", where, c.id));
  c.raw = object;
  return c;
}

CategoryList category_list_from_json(const std::string& dataset, const Json& array,
                                     const std::string& origin) {
  if (!array.is_array()) fail(ErrorKind::DataError, "{}: 'categories' must be an array", origin);
  CategoryList list;
  list.dataset = dataset;
  list.origin = origin;
  list.categories.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i)
    list.categories.push_back(
        category_from_json(array[i], fmt::format("{}: categories[{}]", origin, i)));
  validate(list);
  return list;
}

void validate(const CategoryList& list) {
  std::unordered_map<std::int64_t, const Category*> by_id;
  for (const auto& c : list.categories) {
    if (c.id < 0)
      fail(ErrorKind::DataError, "{}: category '{}' has a negative id {}", list.origin, c.name,
           c.id);
    auto [it, fresh] = by_id.emplace(c.id, &c);
    if (!fresh)
      fail(ErrorKind::DataError, "{}: duplicate category id {} ('{}' and '{}')", list.origin, c.id,
           it->second->name, c.name);
  }
}

Json category_to_json(const Category& category) {
  if (category.raw.is_object() && !category.raw.empty()) return category.raw;
  Json out = Json::object();
  out["id"] = category.id;
  out["name"] = category.name;
  out["isthing"] = category.isthing ? 1 : 0;
  if (category.color) out["color"] = *category.color;
  return out;
}

}  // namespace segx::vocab
