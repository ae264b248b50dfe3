// Class embeddings for a vocabulary, one vector per unified class in class-id order: either the
// user's vectors (JSON {"name": [floats]}, e.g. CLIP text embeddings exported elsewhere) or the
// built-in deterministic default, stored beside the vocabulary for the model's classifier.
//
// The default ("hashed-char-ngrams-v1"): for each of a class's names (canonical and synonyms),
// normalised as for the `name` policy and wrapped in "<" ">", every character 3-, 4- and 5-gram is
// hashed with 64-bit FNV-1a; bit 63 gives the sign, the hash modulo `dim` the coordinate. Each
// name's vector is L2-normalised, the class vector is the mean of its names' vectors, normalised
// again. No download, identical on every machine, and names sharing spelling get similar vectors.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

inline constexpr const char* kHashedMethod = "hashed-char-ngrams-v1";

struct ClassEmbeddings {
  std::string method;  // kHashedMethod, or "user:<file>"
  int dim = 0;
  std::vector<std::int64_t> ids;   // unified class ids, ascending
  std::vector<std::string> names;  // class names, parallel to ids
  std::vector<std::vector<float>> vectors;
};

bool is_safetensors_path(const std::string& path);

std::vector<float> hashed_embedding(const std::vector<std::string>& names, int dim);

ClassEmbeddings default_embeddings(const Vocabulary& vocabulary, int dim);

// Name -> vector table as supplied by the user. Errors: a vector whose length differs from the
// first one's (DataError naming the entry), non-numeric values, an empty table.
struct VectorTable {
  int dim = 0;
  std::map<std::string, std::vector<float>> vectors;
  std::string origin;
};
// `.safetensors` files hold either one 1-D tensor per class name, or one 2-D tensor [N, D] with
// metadata "names" (a JSON array of N names); F32 or F64. Anything else is read as JSON.
VectorTable load_vector_table(const std::string& path);
VectorTable load_safetensors_vectors(const std::string& path);
VectorTable parse_vector_table(const std::string& text, const std::string& origin);

// Picks each class's vector by its canonical name, else the first synonym the table has; a class
// with none is a Config error listing (up to 5 of) the missing classes.
ClassEmbeddings embeddings_from_table(const Vocabulary& vocabulary, const VectorTable& table);

// {"format": "segx-class-embeddings", "method", "dim", "classes": [{"id", "name", "vector"}]}
Json embeddings_to_json(const ClassEmbeddings& embeddings);
ClassEmbeddings embeddings_from_json(const Json& doc, const std::string& origin);

// Writes JSON, or for a `.safetensors` path the tensors "class_embeddings" (F32 [N, D]) and
// "class_ids" (I64 [N]) with metadata format, method and names (JSON array), for the model.
void write_embeddings(const std::string& path, const ClassEmbeddings& embeddings);
ClassEmbeddings read_embeddings(const std::string& path);

}  // namespace segx::vocab
