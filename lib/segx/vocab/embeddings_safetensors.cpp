// Class embeddings in safetensors form: reading user vectors and writing the vocabulary's matrix.
#include <cstring>

#include "segx/core/error.hpp"
#include "segx/io/safetensors.hpp"
#include "segx/io/stream.hpp"
#include "segx/vocab/embeddings.hpp"

namespace segx::vocab {

namespace {

// Little-endian host assumed, as the rest of segx's safetensors code does.
std::vector<float> to_floats(const io::SafetensorsFile& file, const std::string& name,
                             std::size_t offset, std::size_t count) {
  const auto& info = file.info(name);
  auto bytes = file.data(name);
  std::vector<float> out(count);
  if (info.dtype == io::DType::F32) {
    std::memcpy(out.data(), bytes.data() + offset * 4, count * 4);
  } else if (info.dtype == io::DType::F64) {
    for (std::size_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, bytes.data() + (offset + i) * 8, 8);
      out[i] = static_cast<float>(d);
    }
  } else {
    fail(ErrorKind::DataError, "{}: tensor '{}' is {}; class vectors must be F32 or F64",
         file.path(), name, io::dtype_name(info.dtype));
  }
  return out;
}

void add(VectorTable& table, const std::string& name, std::vector<float> v) {
  if (table.dim == 0) {
    table.dim = static_cast<int>(v.size());
  } else if (static_cast<int>(v.size()) != table.dim) {
    fail(ErrorKind::DataError, "{}: '{}' has {} values but earlier vectors have {}", table.origin,
         name, v.size(), table.dim);
  }
  table.vectors[name] = std::move(v);
}

}  // namespace

VectorTable load_safetensors_vectors(const std::string& path) {
  auto file = io::SafetensorsFile::read(path);
  VectorTable table;
  table.origin = path;
  if (file.names().empty()) fail(ErrorKind::DataError, "{}: no tensors", path);
  for (const auto& name : file.names()) {
    const auto& info = file.info(name);
    if (info.shape.size() == 1) {
      add(table, name, to_floats(file, name, 0, static_cast<std::size_t>(info.shape[0])));
      continue;
    }
    if (info.shape.size() != 2)
      fail(ErrorKind::DataError, "{}: tensor '{}' must be 1-D (one class) or 2-D [classes, dim]",
           path, name);
    auto meta = file.metadata().find("names");
    if (meta == file.metadata().end())
      fail(ErrorKind::DataError, "{}: 2-D tensor '{}' needs metadata \"names\" (a JSON array)",
           path, name);
    Json names;
    try {
      names = Json::parse(meta->second);
    } catch (const nlohmann::json::exception&) {
      fail(ErrorKind::DataError, "{}: metadata \"names\" is not valid JSON", path);
    }
    if (!names.is_array() || static_cast<std::int64_t>(names.size()) != info.shape[0])
      fail(ErrorKind::DataError, "{}: metadata \"names\" must list {} names for tensor '{}'", path,
           info.shape[0], name);
    auto dim = static_cast<std::size_t>(info.shape[1]);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string())
        fail(ErrorKind::DataError, "{}: metadata \"names\" must hold strings", path);
      add(table, names[i].get<std::string>(), to_floats(file, name, i * dim, dim));
    }
  }
  return table;
}

void write_embeddings(const std::string& path, const ClassEmbeddings& e) {
  if (!is_safetensors_path(path)) {
    io::write_file_atomic(path, stable_json(embeddings_to_json(e)));
    return;
  }
  std::vector<float> matrix;
  matrix.reserve(e.vectors.size() * static_cast<std::size_t>(e.dim));
  for (const auto& v : e.vectors) matrix.insert(matrix.end(), v.begin(), v.end());
  std::vector<std::int64_t> ids(e.ids.begin(), e.ids.end());
  auto n = static_cast<std::int64_t>(e.ids.size());
  std::vector<io::TensorView> tensors = {
      {"class_embeddings",
       io::DType::F32,
       {n, e.dim},
       std::string_view(reinterpret_cast<const char*>(matrix.data()),
                        matrix.size() * sizeof(float))},
      {"class_ids",
       io::DType::I64,
       {n},
       std::string_view(reinterpret_cast<const char*>(ids.data()),
                        ids.size() * sizeof(std::int64_t))},
  };
  std::map<std::string, std::string> metadata = {
      {"format", "segx-class-embeddings"}, {"method", e.method}, {"names", Json(e.names).dump()}};
  io::write_safetensors_file(path, tensors, metadata);
}

ClassEmbeddings read_embeddings(const std::string& path) {
  if (!is_safetensors_path(path)) {
    Json doc;
    try {
      doc = Json::parse(io::read_all(path));
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "{}: invalid JSON: {}", path, e.what());
    }
    return embeddings_from_json(doc, path);
  }
  auto file = io::SafetensorsFile::read(path);
  const auto& info = file.info("class_embeddings");
  const auto& id_info = file.info("class_ids");
  if (info.shape.size() != 2 || id_info.shape.size() != 1 || id_info.shape[0] != info.shape[0] ||
      id_info.dtype != io::DType::I64)
    fail(ErrorKind::DataError, "{}: expected class_embeddings [N, D] and class_ids I64 [N]", path);
  ClassEmbeddings e;
  auto meta = file.metadata();
  e.method = meta.count("method") ? meta["method"] : "";
  e.dim = static_cast<int>(info.shape[1]);
  Json names = meta.count("names") ? Json::parse(meta["names"]) : Json::array();
  auto ids = file.data("class_ids");
  for (std::int64_t i = 0; i < info.shape[0]; ++i) {
    std::int64_t id;
    std::memcpy(&id, ids.data() + i * 8, 8);
    e.ids.push_back(id);
    e.names.push_back(i < static_cast<std::int64_t>(names.size()) ? names[i].get<std::string>()
                                                                  : "");
    e.vectors.push_back(to_floats(file, "class_embeddings", static_cast<std::size_t>(i * e.dim),
                                  static_cast<std::size_t>(e.dim)));
  }
  return e;
}

}  // namespace segx::vocab
