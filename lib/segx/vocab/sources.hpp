// Where category lists come from: a segx manifest's header record, a COCO (instances or
// panoptic) JSON, or a category-list file such as datasets/*.json. `NAME=PATH` renames a dataset.
#pragma once
#include <string>

#include "segx/vocab/category.hpp"

namespace segx::vocab {

struct LoadedCategories {
  CategoryList list;
  std::string source;  // the header's "source" field (datasets/*.json cite their origin there)
};

// `spec` is PATH, "-" (stdin) or NAME=PATH. The dataset name is NAME, else the header's "dataset"
// field, else the file name without extension ("stdin" for "-").
LoadedCategories load_categories(const std::string& spec);

// Categories from an already parsed document: a header object or a COCO JSON object.
LoadedCategories categories_from_document(const Json& doc, const std::string& fallback_name,
                                          const std::string& origin);

}  // namespace segx::vocab
