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

// RapidJSON's Document::Parse / ParseInsitu with numbers converted exactly (std::from_chars,
// correctly rounded; integers as RapidJSON types them, too large ones as doubles; NaN and
// Infinity accepted), never by RapidJSON 1.1's own full-precision strtod, which reads out of
// bounds or returns wrong values on long digit strings ("0." and 400 zeros; upstream issues
// #1249, #1441, fixed after 1.1.0, the version Debian ships). A number RapidJSON refuses (1e999)
// stays its error. The result holds the error code and offset; `doc` is left empty on error.
rapidjson::ParseResult parse_json_text(JsonDocument& doc, std::string_view text);
rapidjson::ParseResult parse_json_insitu(JsonDocument& doc, char* nul_terminated_text);

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
