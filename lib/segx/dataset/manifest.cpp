// Manifest reading (streaming, RapidJSON per line) and writing.
#include "segx/dataset/manifest.hpp"

#include <filesystem>
#include <istream>
#include <ostream>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

JsonDocument make_header(const std::string& dataset, const CategorySet& categories,
                         const std::string& semantic_ids) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("type"), w.String("header");
  w.Key("segx_manifest"), w.Int(kManifestVersion);
  w.Key("dataset"), w.String(dataset.c_str());
  if (!semantic_ids.empty()) w.Key("semantic_ids"), w.String(semantic_ids.c_str());
  w.Key("categories"), categories.write_json(w);
  w.EndObject();
  JsonDocument doc;
  doc.Parse(buf.GetString(), buf.GetSize());
  return doc;
}

ManifestReader::ManifestReader(const std::string& path)
    : ManifestReader(io::open_input(path), path) {}

ManifestReader::ManifestReader(std::unique_ptr<std::istream> in, const std::string& path)
    : path_(path == "-" ? "<stdin>" : path), in_(std::move(in)) {
  base_dir_ = path == "-" ? std::string(".") : fs::path(path).parent_path().string();
  std::string line;
  if (!read_line(line)) fail(ErrorKind::DataError, "'{}': empty manifest (no header record)", path_);
  parse_json(header_.json, line, path_, line_ - 1);
  const std::string where = fmt::format("'{}' line {}", path_, line_);
  const JsonValue& h = header_.json;
  const auto* type = find_member(h, "type");
  if (!type || !type->IsString() || std::string(type->GetString()) != "header")
    fail(ErrorKind::DataError, "{}: the first record is not a header (\"type\": \"header\")", where);
  if (const auto* v = find_member(h, "segx_manifest"); v && v->IsInt() && v->GetInt() > kManifestVersion)
    fail(ErrorKind::DataError, "{}: manifest version {} is newer than this segx reads ({})", where, v->GetInt(), kManifestVersion);
  if (const auto* d = find_member(h, "dataset"); d && d->IsString()) header_.dataset = d->GetString();
  if (const auto* r = find_member(h, "root"); r && r->IsString()) header_.root = r->GetString();
  if (const auto* s = find_member(h, "semantic_ids"); s && s->IsString()) header_.semantic_ids = s->GetString();
  if (const auto* c = find_member(h, "categories")) header_.categories = CategorySet::from_json(*c, where);
  if (!header_.root.empty()) {
    fs::path root(header_.root);
    base_dir_ = root.is_absolute() ? root.string() : (fs::path(base_dir_) / root).string();
  }
}

ManifestReader::~ManifestReader() = default;

bool ManifestReader::read_line(std::string& line) {
  // std::getline would grow the line without bound on a file without newlines: read in blocks
  // and stop at the JSON size limit.
  const auto limit = resource_limits().max_json_bytes;
  while (true) {
    line.clear();
    bool any = false;
    char block[1 << 14];
    while (true) {
      in_->getline(block, sizeof block);
      const auto got = static_cast<std::size_t>(in_->gcount());
      if (got > 0) any = true;
      // getline counts the newline it took (not stored) in gcount; it fails when the block
      // filled up before one, and stops without one at the end of the file.
      const bool full = in_->fail() && !in_->eof() && got == sizeof block - 1;
      const bool took_newline = got > 0 && !in_->fail() && !in_->eof();
      line.append(block, took_newline ? got - 1 : got);
      if (line.size() > limit) check_json_bytes(line.size(), fmt::format("'{}' line {}", path_, line_ + 1));
      if (!full) break;
      in_->clear();  // a block filled without reaching the newline: go on reading the line
    }
    if (!any) {
      if (in_->bad()) fail(ErrorKind::IoError, "cannot read '{}'", path_);
      return false;
    }
    ++line_;
    if (line.find_first_not_of(" \t\r") != std::string::npos) return true;
    if (in_->eof()) return false;
  }
}

bool ManifestReader::next(JsonDocument& record) {
  if (!read_line(buffer_)) return false;
  // A fresh document per record keeps memory bounded (the allocator is released with it).
  JsonDocument doc;
  parse_json(doc, buffer_, path_, line_ - 1);
  if (!doc.IsObject()) fail(ErrorKind::DataError, "{}: a record must be a JSON object", where());
  record.Swap(doc);
  return true;
}

std::string ManifestReader::where() const { return fmt::format("'{}' line {}", path_, line_); }

std::string ManifestReader::resolve(const std::string& relative) const {
  fs::path p(relative);
  if (p.is_absolute()) return relative;
  return (fs::path(base_dir_) / p).lexically_normal().string();
}

void ManifestWriter::write_header(const JsonValue& header) { write_record(header); }

void ManifestWriter::write_record(const JsonValue& record) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  record.Accept(w);
  write_raw(std::string_view(buf.GetString(), buf.GetSize()));
}

void ManifestWriter::write_raw(std::string_view json_object) {
  out_.write(json_object.data(), std::streamsize(json_object.size()));
  out_.put('\n');
}

std::string record_image_id(const JsonValue& record) {
  const auto* id = find_member(record, "image_id");
  return id ? id_text(*id) : std::string("?");
}

}  // namespace segx::dataset
