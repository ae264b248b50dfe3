// RapidJSON parsing with line/column diagnostics and checked member access.
#include "segx/dataset/json.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::dataset {

namespace {

// Forwards RapidJSON's SAX events to the document, turning the raw number texts that
// kParseNumbersAsStringsFlag hands over into the values Document::Parse would store.
struct ExactNumbers {
  JsonDocument& doc;

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned i) { return doc.Uint(i); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t i) { return doc.Uint64(i); }
  bool Double(double d) { return doc.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return doc.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return doc.EndObject(n); }
  bool StartArray() { return doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc.EndArray(n); }

  // `s` is a JSON number (the reader checked its grammar), NaN or [-]Inf[inity]; not
  // NUL-terminated in place.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    const char* end = s + n;
    const bool integral = std::find_if(s, end, [](char c) {
                            return c == '.' || c == 'e' || c == 'E' || c == 'N' || c == 'I';
                          }) == end;
    if (integral) {
      // As RapidJSON types integers: Uint below 2^32, Int above -2^31, else 64 bits.
      if (*s == '-') {
        int64_t v = 0;
        if (std::from_chars(s, end, v).ec == std::errc()) {
          return v >= std::numeric_limits<int>::min() ? doc.Int(static_cast<int>(v)) : doc.Int64(v);
        }
      } else {
        uint64_t v = 0;
        if (std::from_chars(s, end, v).ec == std::errc()) {
          return v <= std::numeric_limits<unsigned>::max() ? doc.Uint(static_cast<unsigned>(v))
                                                            : doc.Uint64(v);
        }
      }
      // Beyond 64 bits: a double, as RapidJSON stores it.
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      // Underflow (RapidJSON refuses overflow before this point): strtod rounds to the nearest
      // subnormal or zero, as a correctly rounding parser does.
      const std::string copy(s, end);
      d = std::strtod(copy.c_str(), nullptr);
    } else if (r.ec != std::errc() || r.ptr != end) {
      return false;
    }
    return doc.Double(d);
  }
};

constexpr unsigned kExactFlags = rapidjson::kParseNumbersAsStringsFlag |
                                 rapidjson::kParseNanAndInfFlag;

template <unsigned Flags, typename Stream>
rapidjson::ParseResult parse_exact(JsonDocument& doc, Stream& stream) {
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  auto generate = [&](JsonDocument& d) {
    ExactNumbers handler{d};
    result = reader.Parse<Flags>(stream, handler);
    return !result.IsError();
  };
  doc.SetNull();
  doc.Populate(generate);
  if (result.IsError()) doc.SetNull();
  return result;
}

}  // namespace

rapidjson::ParseResult parse_json_text(JsonDocument& doc, std::string_view text) {
  rapidjson::MemoryStream memory(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  return parse_exact<kExactFlags>(doc, stream);
}

rapidjson::ParseResult parse_json_insitu(JsonDocument& doc, char* nul_terminated_text) {
  rapidjson::InsituStringStream stream(nul_terminated_text);
  return parse_exact<kExactFlags | rapidjson::kParseInsituFlag>(doc, stream);
}

void parse_json(JsonDocument& doc, std::string_view text, const std::string& name, long line_offset) {
  const auto result = parse_json_text(doc, text);
  if (!result.IsError()) return;
  std::size_t offset = std::min(result.Offset(), text.size());
  long line = 1 + line_offset, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  fail(ErrorKind::DataError, "cannot parse '{}': line {}, column {}: {}", name, line, column,
       rapidjson::GetParseError_En(result.Code()));
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
