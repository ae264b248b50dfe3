// CategorySet: parsing, lookup, writing.
#include "segx/dataset/categories.hpp"

#include "segx/core/error.hpp"

namespace segx::dataset {

CategorySet::CategorySet(std::vector<Category> categories) : list_(std::move(categories)) {
  for (std::size_t i = 0; i < list_.size(); ++i) index_.emplace(list_[i].id, int(i));
}

namespace {

// A colour channel clamped to 0..255 (NaN, strings: 0). GetInt would read a double's bits as an
// integer (255.0 as 0), and converting a double out of uint8_t's range is undefined.
uint8_t color_channel(const JsonValue& v) {
  const double x = v.IsNumber() ? v.GetDouble() : 0;
  return x > 0 ? (x < 255 ? uint8_t(x) : 255) : 0;
}

}  // namespace

CategorySet CategorySet::from_json(const JsonValue& array, const std::string& where) {
  if (!array.IsArray()) fail(ErrorKind::DataError, "{}: \"categories\" is not an array", where);
  std::vector<Category> out;
  std::unordered_map<int64_t, int> seen;
  for (const auto& c : array.GetArray()) {
    Category cat;
    std::string here = where + ": category";
    cat.id = get_int(c, "id", here);
    here = fmt::format("{}: category {}", where, cat.id);
    if (!seen.emplace(cat.id, 1).second) fail(ErrorKind::DataError, "{}: duplicate category id", here);
    if (const auto* n = find_member(c, "name"); n && n->IsString()) cat.name = n->GetString();
    if (const auto* s = find_member(c, "supercategory"); s && s->IsString()) cat.supercategory = s->GetString();
    if (const auto* t = find_member(c, "isthing")) cat.isthing = t->IsBool() ? t->GetBool() : t->IsNumber() && t->GetDouble() == 1;
    if (const auto* col = find_member(c, "color"); col && col->IsArray() && col->Size() == 3) {
      cat.has_color = true;
      for (int k = 0; k < 3; ++k) cat.color[k] = color_channel((*col)[k]);
    }
    out.push_back(std::move(cat));
  }
  return CategorySet(std::move(out));
}

const Category* CategorySet::find(int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &list_[it->second];
}

int CategorySet::index_of(int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

void CategorySet::write_json(JsonWriter& w, bool with_isthing_and_color) const {
  w.StartArray();
  for (const auto& c : list_) {
    w.StartObject();
    w.Key("id"), w.Int64(c.id);
    w.Key("name"), w.String(c.name.c_str());
    if (!c.supercategory.empty()) w.Key("supercategory"), w.String(c.supercategory.c_str());
    if (with_isthing_and_color) {
      w.Key("isthing"), w.Int(c.isthing ? 1 : 0);
      if (c.has_color) {
        w.Key("color"), w.StartArray();
        for (auto v : c.color) w.Int(v);
        w.EndArray();
      }
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace segx::dataset
