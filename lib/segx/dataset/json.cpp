// RapidJSON parsing with line/column diagnostics and checked member access.
#include "segx/dataset/json.hpp"

#include <rapidjson/error/en.h>

#include <cmath>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {

void parse_json(JsonDocument& doc, std::string_view text, const std::string& name, long line_offset) {
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseNanAndInfFlag>(text.data(), text.size());
  if (!doc.HasParseError()) return;
  std::size_t offset = std::min(doc.GetErrorOffset(), text.size());
  long line = 1 + line_offset, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  fail(ErrorKind::DataError, "cannot parse '{}': line {}, column {}: {}", name, line, column,
       rapidjson::GetParseError_En(doc.GetParseError()));
}

JsonDocument read_json_file(const std::string& path) {
  std::string text = io::read_all(path);
  JsonDocument doc;
  parse_json(doc, text, path == "-" ? "<stdin>" : path);
  return doc;
}

const JsonValue* find_member(const JsonValue& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

const JsonValue& member(const JsonValue& obj, const char* key, const std::string& where) {
  if (!obj.IsObject()) fail(ErrorKind::DataError, "{}: expected a JSON object", where);
  const JsonValue* v = find_member(obj, key);
  if (!v) fail(ErrorKind::DataError, "{}: missing \"{}\"", where, key);
  return *v;
}

int64_t get_int(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue& v = member(obj, key, where);
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsDouble()) {
    // An integral double (1.0, as Python writes numpy values) within int64's range: casting any
    // other double is undefined behaviour.
    const double d = v.GetDouble();
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && std::trunc(d) == d)
      return int64_t(d);
  }
  fail(ErrorKind::DataError, "{}: \"{}\" is not an integer", where, key);
}

double get_number(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue& v = member(obj, key, where);
  if (!v.IsNumber()) fail(ErrorKind::DataError, "{}: \"{}\" is not a number", where, key);
  return v.GetDouble();
}

std::string get_string(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue& v = member(obj, key, where);
  if (!v.IsString()) fail(ErrorKind::DataError, "{}: \"{}\" is not a string", where, key);
  return std::string(v.GetString(), v.GetStringLength());
}

const JsonValue& get_array(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue& v = member(obj, key, where);
  if (!v.IsArray()) fail(ErrorKind::DataError, "{}: \"{}\" is not an array", where, key);
  return v;
}

std::string id_text(const JsonValue& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  return to_json(v);
}

std::string unquoted_id(std::string id) {
  if (id.size() >= 2 && id.front() == '"') id = id.substr(1, id.size() - 2);
  return id;
}

std::string to_json(const JsonValue& v) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void write_value(JsonWriter& w, const JsonValue& v) { v.Accept(w); }

}  // namespace segx::dataset
