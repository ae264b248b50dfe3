// RapidJSON helpers for the dataset formats: parsing with line/column errors that name the file,
// typed member access with errors that name the record, and compact writing.
#pragma once
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace segx::dataset {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses `text`; a syntax error throws Error(DataError):
// "cannot parse '<name>': line L, column C: <reason>" (line offset added for JSON Lines).
void parse_json(JsonDocument& doc, std::string_view text, const std::string& name, long line_offset = 0);
// Reads and parses a whole file ("-" = stdin).
JsonDocument read_json_file(const std::string& path);

// Member access; `where` names the file and record in errors ("'x.json': annotation 3").
const JsonValue& member(const JsonValue& obj, const char* key, const std::string& where);
const JsonValue* find_member(const JsonValue& obj, const char* key);
int64_t get_int(const JsonValue& obj, const char* key, const std::string& where);
double get_number(const JsonValue& obj, const char* key, const std::string& where);
std::string get_string(const JsonValue& obj, const char* key, const std::string& where);
const JsonValue& get_array(const JsonValue& obj, const char* key, const std::string& where);
// An integer or a string (image ids are either), as text for messages.
std::string id_text(const JsonValue& v);
// An image id kept as JSON text ("139" or "\"139\""), without the quotes of a string id: the
// name a per-image output file gets.
std::string unquoted_id(std::string id);

// Serialises compactly.
std::string to_json(const JsonValue& v);
void write_value(JsonWriter& w, const JsonValue& v);

}  // namespace segx::dataset
