// The restricted unpickler: a stack machine over the opcodes numpy and torch.save pickles use,
// with every length checked against the bytes left before anything is allocated.
#include "segx/io/pickle.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "segx/core/error.hpp"

namespace segx::io::pickle {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::BigInt:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::DType:
      return "numpy dtype";
    case Kind::Array:
      return "numpy array";
    case Kind::Storage:
      return "torch storage";
    case Kind::Tensor:
      return "torch tensor";
  }
  return "?";
}

namespace {

// Every opcode of protocols 0-5, so that a refused one is named in the message.
const char* opcode_name(unsigned char op) {
  switch (op) {
    case '(':
      return "MARK";
    case '.':
      return "STOP";
    case '0':
      return "POP";
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case 'F':
      return "FLOAT";
    case 'I':
      return "INT";
    case 'J':
      return "BININT";
    case 'K':
      return "BININT1";
    case 'L':
      return "LONG";
    case 'M':
      return "BININT2";
    case 'N':
      return "NONE";
    case 'P':
      return "PERSID";
    case 'Q':
      return "BINPERSID";
    case 'R':
      return "REDUCE";
    case 'S':
      return "STRING";
    case 'T':
      return "BINSTRING";
    case 'U':
      return "SHORT_BINSTRING";
    case 'V':
      return "UNICODE";
    case 'X':
      return "BINUNICODE";
    case 'a':
      return "APPEND";
    case 'b':
      return "BUILD";
    case 'c':
      return "GLOBAL";
    case 'd':
      return "DICT";
    case '}':
      return "EMPTY_DICT";
    case 'e':
      return "APPENDS";
    case 'g':
      return "GET";
    case 'h':
      return "BINGET";
    case 'i':
      return "INST";
    case 'j':
      return "LONG_BINGET";
    case 'l':
      return "LIST";
    case ']':
      return "EMPTY_LIST";
    case 'o':
      return "OBJ";
    case 'p':
      return "PUT";
    case 'q':
      return "BINPUT";
    case 'r':
      return "LONG_BINPUT";
    case 's':
      return "SETITEM";
    case 't':
      return "TUPLE";
    case ')':
      return "EMPTY_TUPLE";
    case 'u':
      return "SETITEMS";
    case 'G':
      return "BINFLOAT";
    case 'B':
      return "BINBYTES";
    case 'C':
      return "SHORT_BINBYTES";
    case 0x80:
      return "PROTO";
    case 0x81:
      return "NEWOBJ";
    case 0x82:
      return "EXT1";
    case 0x83:
      return "EXT2";
    case 0x84:
      return "EXT4";
    case 0x85:
      return "TUPLE1";
    case 0x86:
      return "TUPLE2";
    case 0x87:
      return "TUPLE3";
    case 0x88:
      return "NEWTRUE";
    case 0x89:
      return "NEWFALSE";
    case 0x8a:
      return "LONG1";
    case 0x8b:
      return "LONG4";
    case 0x8c:
      return "SHORT_BINUNICODE";
    case 0x8d:
      return "BINUNICODE8";
    case 0x8e:
      return "BINBYTES8";
    case 0x8f:
      return "EMPTY_SET";
    case 0x90:
      return "ADDITEMS";
    case 0x91:
      return "FROZENSET";
    case 0x92:
      return "NEWOBJ_EX";
    case 0x93:
      return "STACK_GLOBAL";
    case 0x94:
      return "MEMOIZE";
    case 0x95:
      return "FRAME";
    case 0x96:
      return "BYTEARRAY8";
    case 0x97:
      return "NEXT_BUFFER";
    case 0x98:
      return "READONLY_BUFFER";
  }
  return nullptr;
}

struct AllowedGlobal {
  const char* module;
  const char* name;
  Callable callable;
  DType dtype;  // for storage types
};

// The whole allow-list. numpy 2 moved numpy.core to numpy._core; Python 2 pickles name
// builtins __builtin__.
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"numpy.core.multiarray", "_reconstruct", Callable::NumpyReconstruct, DType::U8},
    {"numpy._core.multiarray", "_reconstruct", Callable::NumpyReconstruct, DType::U8},
    {"numpy.core.multiarray", "scalar", Callable::NumpyScalar, DType::U8},
    {"numpy._core.multiarray", "scalar", Callable::NumpyScalar, DType::U8},
    {"numpy.core.numeric", "_frombuffer", Callable::NumpyFrombuffer, DType::U8},
    {"numpy._core.numeric", "_frombuffer", Callable::NumpyFrombuffer, DType::U8},
    {"numpy", "ndarray", Callable::NumpyNdarray, DType::U8},
    {"numpy", "dtype", Callable::NumpyDtype, DType::U8},
    {"_codecs", "encode", Callable::CodecsEncode, DType::U8},
    {"builtins", "bytes", Callable::BuiltinBytes, DType::U8},
    {"__builtin__", "bytes", Callable::BuiltinBytes, DType::U8},
    {"collections", "OrderedDict", Callable::OrderedDict, DType::U8},
    {"torch._utils", "_rebuild_tensor_v2", Callable::TorchRebuildTensorV2, DType::U8},
    {"torch._utils", "_rebuild_parameter", Callable::TorchRebuildParameter, DType::U8},
    {"torch._utils", "_rebuild_parameter_with_state", Callable::TorchRebuildParameterWithState,
     DType::U8},
    {"torch", "DoubleStorage", Callable::TorchStorageType, DType::F64},
    {"torch", "FloatStorage", Callable::TorchStorageType, DType::F32},
    {"torch", "HalfStorage", Callable::TorchStorageType, DType::F16},
    {"torch", "BFloat16Storage", Callable::TorchStorageType, DType::BF16},
    {"torch", "LongStorage", Callable::TorchStorageType, DType::I64},
    {"torch", "IntStorage", Callable::TorchStorageType, DType::I32},
    {"torch", "ShortStorage", Callable::TorchStorageType, DType::I16},
    {"torch", "CharStorage", Callable::TorchStorageType, DType::I8},
    {"torch", "ByteStorage", Callable::TorchStorageType, DType::U8},
    {"torch", "BoolStorage", Callable::TorchStorageType, DType::Bool},
};

// numpy type strings ("f4", "<i8", "|b1") of the supported element types.
std::optional<DType> numpy_dtype(std::string_view code) {
  if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '='))
    code.remove_prefix(1);
  struct Entry {
    const char* code;
    DType dtype;
  };
  static constexpr Entry kCodes[] = {
      {"f8", DType::F64}, {"f4", DType::F32}, {"f2", DType::F16}, {"i8", DType::I64},
      {"i4", DType::I32}, {"i2", DType::I16}, {"i1", DType::I8},  {"u1", DType::U8},
      {"u2", DType::U16}, {"u4", DType::U32}, {"u8", DType::U64}, {"b1", DType::Bool},
  };
  for (const auto& e : kCodes)
    if (code == e.code) return e.dtype;
  return std::nullopt;
}

// Decodes one UTF-8 sequence at `s[i]`; surrogates are accepted (Python writes them with
// "surrogatepass"). Returns the code point and advances i, or -1 when invalid.
long next_code_point(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int n = 0;
  long cp = 0;
  if (c < 0x80) {
    ++i;
    return c;
  } else if ((c & 0xe0) == 0xc0) {
    n = 1, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3, cp = c & 0x07;
  } else {
    return -1;
  }
  if (s.size() - i <= static_cast<std::size_t>(n)) return -1;
  for (int k = 1; k <= n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (d & 0x3f);
  }
  static constexpr long kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff) return -1;  // overlong or out of range
  i += n + 1;
  return cp;
}

// Protocol 2 writes Python 3 bytes as the Latin-1 text of a str, so megabytes of weights pass
// through these two: ASCII and two-byte sequences take the short way.
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      ++i;
    } else if (p[i] >= 0xc2 && p[i] < 0xe0 && i + 1 < s.size() && (p[i + 1] & 0xc0) == 0x80) {
      i += 2;
    } else if (next_code_point(s, i) < 0) {
      return false;
    }
  }
  return true;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// str.encode("latin1"); false when the text is not UTF-8 or has a character above U+00FF.
// One step per input byte with no branch on the data (weights are as likely to have the top bit
// set as not): every byte but a continuation byte writes one output character.
bool utf8_to_latin1(std::string_view s, std::string& out) {
  out.resize(s.size());
  if (s.empty()) return true;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  char* o = out.data();
  const std::size_t last = s.size() - 1;
  std::size_t n = 0;
  unsigned bad = 0;
  unsigned prev_lead = 0;
  for (std::size_t i = 0; i < last; ++i) {
    const unsigned c = p[i];
    const unsigned high = c >> 7;
    const unsigned cont = (c & 0xc0) == 0x80;
    const unsigned lead = (c & 0xfe) == 0xc2;  // C2/C3: U+0080..U+00FF
    // Other bytes above 0x7f, and continuations that follow no lead (or leads that lack one).
    bad |= (high & ((cont | lead) ^ 1)) | (cont ^ prev_lead);
    const unsigned two = ((c & 0x03) << 6) | (p[i + 1] & 0x3f);
    const unsigned mask = 0u - lead;
    o[n] = static_cast<char>((two & mask) | (c & ~mask));
    n += cont ^ 1;
    prev_lead = lead;
  }
  const unsigned c = p[last];
  const unsigned cont = (c & 0xc0) == 0x80;
  bad |= ((c >> 7) & (cont ^ 1)) | (cont ^ prev_lead);
  o[n] = static_cast<char>(c);
  n += cont ^ 1;
  out.resize(n);
  return bad == 0;
}

// Little-endian two's complement (LONG1/LONG4) as decimal text.
std::string decimal_of(std::string_view le) {
  std::vector<unsigned char> mag(le.begin(), le.end());
  const bool negative = !mag.empty() && (mag.back() & 0x80);
  if (negative) {  // magnitude = ~x + 1
    unsigned carry = 1;
    for (auto& b : mag) {
      const unsigned v = static_cast<unsigned char>(~b) + carry;
      b = static_cast<unsigned char>(v);
      carry = v >> 8;
    }
  }
  std::string digits;
  while (std::any_of(mag.begin(), mag.end(), [](unsigned char b) { return b != 0; })) {
    unsigned rem = 0;
    for (auto it = mag.rbegin(); it != mag.rend(); ++it) {
      const unsigned cur = (rem << 8) | *it;
      *it = static_cast<unsigned char>(cur / 10);
      rem = cur % 10;
    }
    digits += static_cast<char>('0' + rem);
  }
  if (digits.empty()) digits = "0";
  if (negative) digits += '-';
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string float_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);  // shortest round trip, like Python's repr
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Strings up to this size are checked to be UTF-8 when read.
constexpr std::size_t kCheckedStr = 4096;

// Largest element count accepted: keeps numel * 8 far from overflow.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 56;

}  // namespace

class Unpickler {
 public:
  Unpickler(Document& doc, const Options& options) : doc_(doc), options_(options) {
    in_ = *doc.bytes_;
    none_ = make(Kind::None);
    true_ = make(Kind::Bool);
    true_->boolean = true;
    false_ = make(Kind::Bool);
  }

  Object* run() {
    while (true) {
      op_pos_ = pos_;
      if (pos_ >= in_.size()) {
        op_ = 0;
        fail(ErrorKind::DataError, "'{}': {}truncated pickle: ends at offset {} without STOP",
             doc_.name_, where(), pos_);
      }
      op_ = static_cast<unsigned char>(in_[pos_++]);
      if (op_ == '.') {
        return pop();
      }
      step();
    }
  }

 private:
  Document& doc_;
  const Options& options_;
  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;
  unsigned char op_ = 0;
  std::vector<Object*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Object*> memo_;
  std::unordered_map<std::string, Object*> storages_;  // by record key
  std::size_t owned_bytes_ = 0;
  Object* none_ = nullptr;
  Object* true_ = nullptr;
  Object* false_ = nullptr;

  std::string where() const { return options_.record.empty() ? "" : options_.record + ": "; }

  template <typename... Args>
  [[noreturn]] void error(fmt::format_string<Args...> format, Args&&... args) {
    const char* name = opcode_name(op_);
    const std::string op = name ? name : fmt::format("0x{:02x}", op_);
    fail(ErrorKind::DataError, "'{}': {}pickle opcode {} at offset {}: {}", doc_.name_, where(), op,
         op_pos_, fmt::format(format, std::forward<Args>(args)...));
  }

  // ---- input ----
  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - pos_) error("truncated: needs {} bytes, {} left", n, in_.size() - pos_);
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint64_t read_le(std::size_t n) {
    auto s = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
  }
  std::string_view read_line() {
    const auto end = in_.substr(pos_, 257).find('\n');
    if (end == std::string_view::npos) error("no end of line within 256 bytes");
    auto s = in_.substr(pos_, end);
    pos_ += end + 1;
    return s;
  }

  // ---- values ----
  Object* make(Kind kind) {
    if (doc_.objects_.size() >= options_.max_objects)
      error("more than {} values: refusing to go on", options_.max_objects);
    auto& o = doc_.objects_.emplace_back();
    o.kind = kind;
    return &o;
  }
  Object* make_int(std::int64_t v) {
    auto* o = make(Kind::Int);
    o->integer = v;
    return o;
  }
  Object* make_text(Kind kind, std::string_view view) {
    auto* o = make(kind);
    o->text = view;
    return o;
  }
  // Values decoded from the input (the Latin-1 bytes of a str, dict keys) never need more than
  // its size; copies of one memoized string many times over would.
  void charge(std::size_t bytes) {
    owned_bytes_ += bytes;
    if (owned_bytes_ > 2 * in_.size() + (1u << 20))
      error("decoded values and keys exceed twice the pickle's size");
  }
  Object* make_owned(Kind kind, std::string text) {
    charge(text.size());
    auto* o = make(kind);
    o->owned = std::move(text);
    o->text = o->owned;
    return o;
  }
  Object* make_global(const AllowedGlobal& g) {
    auto* o = make(Kind::Global);
    o->callable = g.callable;
    o->dtype = g.dtype;
    o->owned = std::string(g.module) + "." + g.name;
    o->text = o->owned;
    return o;
  }

  void push(Object* o) { stack_.push_back(o); }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Object* pop() {
    if (stack_.size() <= floor()) error("stack underflow");
    auto* o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Object*& top() {
    if (stack_.size() <= floor()) error("stack underflow");
    return stack_.back();
  }
  std::vector<Object*> pop_mark() {
    if (marks_.empty()) error("no MARK on the stack");
    const auto m = marks_.back();
    marks_.pop_back();
    std::vector<Object*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  void nest(Object* container, const Object* child) {
    container->depth = std::max(container->depth, child->depth + 1);
    if (container->depth > options_.max_depth)
      error("values nested deeper than {} levels", options_.max_depth);
  }
  Object* make_tuple(std::vector<Object*> items) {
    auto* t = make(Kind::Tuple);
    for (auto* i : items) nest(t, i);
    t->items = std::move(items);
    return t;
  }

  // A canonical text for a hashable key, so that equal keys (1 == True == 1.0) collide as in
  // Python.
  std::string key_of(const Object& k, std::size_t depth = 0) {
    if (depth > options_.max_depth) error("dict key nested too deep");
    switch (k.kind) {
      case Kind::None:
        return "N";
      case Kind::Bool:
        return k.boolean ? "i1" : "i0";
      case Kind::Int:
        return "i" + std::to_string(k.integer);
      case Kind::BigInt:
        return "i" + std::string(k.text);
      case Kind::Float:
        if (std::trunc(k.real) == k.real && std::fabs(k.real) < 9.2e18)
          return "i" + std::to_string(static_cast<std::int64_t>(k.real));
        return "f" + float_text(k.real);
      case Kind::Str:
        charge(k.text.size());
        return "s" + std::string(k.text);
      case Kind::Bytes:
        charge(2 * k.text.size());
        return k.py2_str ? "s" + latin1_to_utf8(k.text) : "b" + std::string(k.text);
      case Kind::Tuple: {
        std::string s = "t";
        for (const auto* i : k.items) {
          auto part = key_of(*i, depth + 1);
          s += std::to_string(part.size()) + ":" + part;
        }
        return s;
      }
      default:
        error("a {} cannot be a dict key", kind_name(k.kind));
    }
  }
  void set_item(Object* dict, Object* key, Object* value) {
    if (dict->kind != Kind::Dict) error("SETITEM on a {}, not a dict", kind_name(dict->kind));
    if (!dict->index)
      dict->index = std::make_unique<std::unordered_map<std::string, std::size_t>>();
    auto [it, fresh] = dict->index->emplace(key_of(*key), dict->entries.size());
    if (fresh)
      dict->entries.emplace_back(key, value);
    else
      dict->entries[it->second].second = value;  // Python keeps the first key's place
    nest(dict, value);
  }
  void append(Object* list, Object* value) {
    if (list->kind != Kind::List) error("APPEND on a {}, not a list", kind_name(list->kind));
    list->items.push_back(value);
    nest(list, value);
  }

  void memo_put(std::uint64_t index) {
    if (memo_.size() >= options_.max_memo && !memo_.count(index))
      error("more than {} memo entries", options_.max_memo);
    memo_[index] = top();
  }
  Object* memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) error("memo entry {} was never stored", index);
    return it->second;
  }

  Object* read_long(std::string_view le) {
    if (le.size() > 256) error("integer of {} bytes", le.size());
    const bool negative = !le.empty() && (static_cast<unsigned char>(le.back()) & 0x80);
    // Fits an int64 when every byte above the eighth repeats the sign.
    bool fits = true;
    for (std::size_t i = 8; i < le.size(); ++i)
      if (static_cast<unsigned char>(le[i]) != (negative ? 0xff : 0x00)) fits = false;
    if (le.size() > 8 && fits && ((static_cast<unsigned char>(le[7]) & 0x80) != 0) != negative)
      fits = false;
    if (!fits) return make_owned(Kind::BigInt, decimal_of(le));
    std::uint64_t v = negative ? ~std::uint64_t{0} : 0;
    for (std::size_t i = std::min<std::size_t>(le.size(), 8); i-- > 0;)
      v = (v << 8) | static_cast<unsigned char>(le[i]);
    if (le.size() < 8 && negative) v |= ~std::uint64_t{0} << (8 * le.size());
    return make_int(static_cast<std::int64_t>(v));
  }

  // Short strings (names, keys, dtype codes) are checked to be UTF-8 here, as Python does; long
  // ones are weights in Latin-1 (protocol 2), which utf8_to_latin1 checks as it converts, and
  // text_of() checks before a long one is ever used as text.
  Object* read_str(std::uint64_t n) {
    auto s = take(n);
    if (n <= kCheckedStr && !valid_utf8(s)) error("str of {} bytes is not valid UTF-8", n);
    return make_text(Kind::Str, s);
  }
  Object* read_bytes(std::uint64_t n, bool py2_str) {
    auto* o = make_text(Kind::Bytes, take(n));
    o->py2_str = py2_str;
    return o;
  }

  // ---- globals ----
  Object* resolve_global(std::string_view module, std::string_view name) {
    for (const auto& g : kAllowedGlobals)
      if (module == g.module && name == g.name) return make_global(g);
    error(
        "refused global '{}.{}': a checkpoint may hold only numpy arrays, torch tensors and "
        "plain values",
        printable(module), printable(name));
  }

  // ---- helpers for argument checks ----
  const std::vector<Object*>& tuple_items(const Object* t, const char* what) {
    if (t->kind != Kind::Tuple) error("{} must be a tuple, not a {}", what, kind_name(t->kind));
    return t->items;
  }
  std::int64_t int_of(const Object* o, const char* what) {
    if (o->kind == Kind::Int) return o->integer;
    if (o->kind == Kind::Bool) return o->boolean ? 1 : 0;
    error("{} must be an int, not a {}", what, kind_name(o->kind));
  }
  bool bool_of(const Object* o, const char* what) { return int_of(o, what) != 0; }
  std::string string_of(const Object* o, const char* what) {
    if (o->kind == Kind::Str) return std::string(o->text);
    if (o->kind == Kind::Bytes && o->py2_str) return latin1_to_utf8(o->text);
    error("{} must be a str, not a {}", what, kind_name(o->kind));
  }
  // A tuple of at most 64 ints in [0, 2^56].
  std::vector<std::int64_t> ints_of(const Object* o, const char* what) {
    const auto& items = tuple_items(o, what);
    if (items.size() > 64) error("{} has {} dimensions", what, items.size());
    std::vector<std::int64_t> v;
    for (const auto* d : items) {
      const auto i = int_of(d, what);
      if (i < 0 || i > kMaxElements) error("{} holds {}", what, i);
      v.push_back(i);
    }
    return v;
  }
  std::vector<std::int64_t> shape_of(const Object* o, const char* what, std::int64_t* numel) {
    auto shape = ints_of(o, what);
    std::int64_t n = 1;
    for (const auto v : shape) {
      if (v != 0 && n > kMaxElements / v) error("{} has more than 2^56 elements", what);
      n *= v;
    }
    *numel = n;
    return shape;
  }
  // Bytes, or a str holding bytes as Latin-1 (a Python 2 pickle re-pickled by Python 3).
  Object* bytes_of(Object* o, const char* what) {
    if (o->kind == Kind::Bytes) return o;
    if (o->kind == Kind::Str) {
      std::string raw;
      if (!utf8_to_latin1(o->text, raw)) error("{} is a str that is not Latin-1 text", what);
      return make_owned(Kind::Bytes, std::move(raw));
    }
    if (o->kind == Kind::List) error("{} is a list: object arrays are not read", what);
    error("{} must be bytes, not a {}", what, kind_name(o->kind));
  }

  // ---- numpy ----
  void set_array(Object* a, const Object* dtype, std::vector<std::int64_t> shape,
                 std::int64_t numel, bool fortran, const Object* data) {
    if (dtype->kind != Kind::DType) error("array dtype is a {}", kind_name(dtype->kind));
    const auto expect = static_cast<std::uint64_t>(numel) * dtype_size(dtype->dtype);
    if (data->text.size() != expect)
      error("array of {} elements of {} holds {} bytes, expected {}", numel,
            dtype_name(dtype->dtype), data->text.size(), expect);
    a->dtype = dtype->dtype;
    a->big_endian = dtype->big_endian && dtype_size(dtype->dtype) > 1;
    a->shape = std::move(shape);
    a->fortran = fortran && a->shape.size() > 1;
    a->data = data;
    a->built = true;
  }

  Object* numpy_dtype_of(const std::vector<Object*>& args) {
    if (args.empty()) error("numpy.dtype() without arguments");
    const auto code = string_of(args[0], "numpy.dtype's type");
    auto dtype = numpy_dtype(code);
    if (!dtype) {
      if (code.find('O') != std::string::npos)
        error("numpy dtype '{}': object arrays are not read", printable(code));
      error("numpy dtype '{}' is not supported (only f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1)",
            printable(code));
    }
    auto* d = make(Kind::DType);
    d->dtype = *dtype;
    d->big_endian = code[0] == '>';
    return d;
  }

  void build_dtype(Object* d, Object* state) {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
    const auto& s = tuple_items(state, "numpy dtype state");
    if (s.size() < 5 || s.size() > 9) error("numpy dtype state of {} items", s.size());
    const auto order = string_of(s[1], "numpy dtype byte order");
    if (order == ">")
      d->big_endian = true;
    else if (order == "<" || order == "|" || order == "=")
      d->big_endian = false;
    else
      error("numpy dtype byte order '{}'", printable(order));
    for (std::size_t i = 2; i <= 4; ++i)
      if (s[i]->kind != Kind::None) error("structured or sub-array numpy dtypes are not read");
    d->built = true;
  }

  void build_array(Object* a, Object* state) {
    if (a->built) error("numpy array state set twice");
    // (version, shape, dtype, is_fortran, data), or the same without the version
    auto s = tuple_items(state, "numpy array state");
    if (s.size() == 5) {
      int_of(s[0], "numpy array state version");
      s.erase(s.begin());
    }
    if (s.size() != 4) error("numpy array state of {} items", s.size());
    std::int64_t numel = 0;
    auto shape = shape_of(s[0], "numpy array shape", &numel);
    set_array(a, s[1], std::move(shape), numel, bool_of(s[2], "numpy is_fortran"),
              bytes_of(s[3], "numpy array data"));
  }

  Object* numpy_frombuffer(const std::vector<Object*>& args) {
    // _frombuffer(buffer, dtype, shape, order)
    if (args.size() != 4) error("numpy _frombuffer with {} arguments", args.size());
    if (args[0]->kind != Kind::Bytes) error("numpy _frombuffer of a {}", kind_name(args[0]->kind));
    const auto order = string_of(args[3], "numpy _frombuffer order");
    if (order != "C" && order != "F") error("numpy _frombuffer order '{}'", printable(order));
    std::int64_t numel = 0;
    auto shape = shape_of(args[2], "numpy array shape", &numel);
    auto* a = make(Kind::Array);
    set_array(a, args[1], std::move(shape), numel, order == "F", args[0]);
    return a;
  }

  Object* numpy_scalar(std::vector<Object*>& args) {
    if (args.size() != 2) error("numpy scalar with {} arguments", args.size());
    auto* a = make(Kind::Array);
    set_array(a, args[0], {}, 1, false, bytes_of(args[1], "numpy scalar data"));
    return a;
  }

  // ---- torch ----
  Object* storage_of(Object* pid) {
    // ('storage', torch.FloatStorage, key, location, numel)
    const auto& t = tuple_items(pid, "storage reference");
    if (t.size() != 5 || string_of(t[0], "storage reference tag") != "storage")
      error("storage reference is not ('storage', type, key, location, numel)");
    if (t[1]->kind != Kind::Global || t[1]->callable != Callable::TorchStorageType)
      error("storage type is a {}, not a torch storage class", kind_name(t[1]->kind));
    const auto key = string_of(t[2], "storage key");
    string_of(t[3], "storage location");
    const auto numel = int_of(t[4], "storage size");
    if (numel < 0 || numel > kMaxElements)
      error("storage '{}' of {} elements", printable(key), numel);
    auto it = storages_.find(key);
    if (it != storages_.end()) {
      if (it->second->dtype != t[1]->dtype || it->second->integer != numel)
        error("storage '{}' referenced as {} x{} and {} x{}", printable(key),
              dtype_name(it->second->dtype), it->second->integer, dtype_name(t[1]->dtype), numel);
      return it->second;
    }
    auto* s = make_owned(Kind::Storage, key);
    s->dtype = t[1]->dtype;
    s->integer = numel;
    storages_.emplace(key, s);
    return s;
  }

  Object* rebuild_tensor(const std::vector<Object*>& args) {
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
    //                    [, metadata])
    if (args.size() != 6 && args.size() != 7)
      error("_rebuild_tensor_v2 with {} arguments", args.size());
    const auto* storage = args[0];
    if (storage->kind != Kind::Storage)
      error("_rebuild_tensor_v2 of a {}, not a storage", kind_name(storage->kind));
    auto* t = make(Kind::Tensor);
    t->data = storage;
    t->dtype = storage->dtype;
    t->offset = int_of(args[1], "storage offset");
    std::int64_t numel = 0;
    t->shape = shape_of(args[2], "tensor size", &numel);
    t->strides = ints_of(args[3], "tensor stride");
    if (t->strides.size() != t->shape.size())
      error("tensor of {} dimensions with {} strides", t->shape.size(), t->strides.size());
    if (t->offset < 0 || t->offset > storage->integer)
      error("storage offset {} outside storage '{}' of {} elements", t->offset,
            printable(storage->text), storage->integer);
    if (numel > 0) {
      // The last element the view touches must lie inside the storage.
      std::int64_t last = t->offset;
      for (std::size_t i = 0; i < t->shape.size(); ++i) {
        if (t->shape[i] - 1 > kMaxElements / std::max<std::int64_t>(t->strides[i], 1))
          error("tensor stride {} out of range", t->strides[i]);
        last += (t->shape[i] - 1) * t->strides[i];
        if (last >= storage->integer) break;
      }
      if (last >= storage->integer)
        error(
            "tensor view (offset {}, size {}, stride {}) reaches past storage '{}' of {} "
            "elements",
            t->offset, fmt::join(t->shape, "x"), fmt::join(t->strides, ","),
            printable(storage->text), storage->integer);
    }
    return t;
  }

  // ---- the opcodes that call or update ----
  Object* reduce(Object* callable, Object* args_tuple) {
    if (callable->kind != Kind::Global) error("REDUCE calls a {}", kind_name(callable->kind));
    auto args = tuple_items(args_tuple, "REDUCE arguments");
    switch (callable->callable) {
      case Callable::NumpyReconstruct: {
        // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills
        if (args.size() != 3 || args[0]->kind != Kind::Global ||
            args[0]->callable != Callable::NumpyNdarray)
          error("_reconstruct is not called with numpy.ndarray");
        return make(Kind::Array);
      }
      case Callable::NumpyDtype:
        return numpy_dtype_of(args);
      case Callable::NumpyFrombuffer:
        return numpy_frombuffer(args);
      case Callable::NumpyScalar:
        return numpy_scalar(args);
      case Callable::CodecsEncode: {
        if (args.size() != 2 || args[0]->kind != Kind::Str)
          error("_codecs.encode is called with other than (str, encoding)");
        const auto encoding = string_of(args[1], "encoding");
        if (encoding != "latin1" && encoding != "latin-1")
          error("_codecs.encode to '{}': only latin1 is read", printable(encoding));
        return bytes_of(args[0], "_codecs.encode argument");
      }
      case Callable::BuiltinBytes:
        if (!args.empty()) error("bytes() with arguments");
        return make_text(Kind::Bytes, {});
      case Callable::OrderedDict: {
        auto* d = make(Kind::Dict);
        if (args.empty()) return d;
        // Python 2: OrderedDict([[key, value], ...])
        if (args.size() != 1 || args[0]->kind != Kind::List)
          error("OrderedDict is called with other than a list of pairs");
        for (auto* pair : args[0]->items) {
          if ((pair->kind != Kind::List && pair->kind != Kind::Tuple) || pair->items.size() != 2)
            error("OrderedDict item is not a pair");
          set_item(d, pair->items[0], pair->items[1]);
        }
        return d;
      }
      case Callable::TorchRebuildTensorV2:
        return rebuild_tensor(args);
      case Callable::TorchRebuildParameter:
      case Callable::TorchRebuildParameterWithState:
        // (data, requires_grad, backward_hooks[, state]): the tensor itself
        if (args.size() < 3 || args.size() > 4 || args[0]->kind != Kind::Tensor)
          error("{} is not called with a tensor", callable->text);
        return args[0];
      case Callable::NumpyNdarray:
      case Callable::TorchStorageType:
        break;
    }
    error("{} is not called by checkpoints", callable->text);
  }

  void build(Object* target, Object* state) {
    switch (target->kind) {
      case Kind::Array:
        return build_array(target, state);
      case Kind::DType:
        return build_dtype(target, state);
      case Kind::Dict:
        // OrderedDict attributes, e.g. the _metadata of a torch state dict: not weights
        if (state->kind == Kind::Dict || state->kind == Kind::None || state->kind == Kind::Tuple)
          return;
        break;
      default:
        break;
    }
    error("BUILD of a {} with a {}", kind_name(target->kind), kind_name(state->kind));
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const auto v = read_le(1);
        if (v > 5) error("pickle protocol {} (only 2 to 5 are read)", v);
        return;
      }
      case 0x95: {  // FRAME: a hint for buffered readers; its length must fit
        const auto n = read_le(8);
        if (n > in_.size() - pos_) error("frame of {} bytes, {} left", n, in_.size() - pos_);
        return;
      }
      case '(':
        if (marks_.size() >= options_.max_depth)
          error("MARKs nested deeper than {}", options_.max_depth);
        marks_.push_back(stack_.size());
        return;
      case '0':
        pop();
        return;
      case '1':
        pop_mark();
        return;
      case '2': {
        auto* t = top();
        push(t);
        return;
      }

      case 'N':
        push(none_);
        return;
      case 0x88:
        push(true_);
        return;
      case 0x89:
        push(false_);
        return;
      case 'J':
        push(make_int(static_cast<std::int32_t>(read_le(4))));
        return;
      case 'K':
        push(make_int(static_cast<std::int64_t>(read_le(1))));
        return;
      case 'M':
        push(make_int(static_cast<std::int64_t>(read_le(2))));
        return;
      case 0x8a: {
        const auto n = read_le(1);
        push(read_long(take(n)));
        return;
      }
      case 0x8b: {
        const auto n = static_cast<std::int32_t>(read_le(4));
        if (n < 0) error("negative length {}", n);
        push(read_long(take(static_cast<std::uint64_t>(n))));
        return;
      }
      case 'G': {
        const auto bits = read_le(8);
        std::uint64_t be = 0;  // BINFLOAT is big-endian
        for (int i = 0; i < 8; ++i) be = (be << 8) | ((bits >> (8 * i)) & 0xff);
        auto* o = make(Kind::Float);
        std::memcpy(&o->real, &be, 8);
        push(o);
        return;
      }

      case 'X':
        push(read_str(read_le(4)));
        return;
      case 0x8c:
        push(read_str(read_le(1)));
        return;
      case 0x8d:
        push(read_str(read_le(8)));
        return;
      case 'T': {
        const auto n = static_cast<std::int32_t>(read_le(4));
        if (n < 0) error("negative length {}", n);
        push(read_bytes(static_cast<std::uint64_t>(n), true));
        return;
      }
      case 'U':
        push(read_bytes(read_le(1), true));
        return;
      case 'B':
        push(read_bytes(read_le(4), false));
        return;
      case 'C':
        push(read_bytes(read_le(1), false));
        return;
      case 0x8e:
        push(read_bytes(read_le(8), false));
        return;
      case 0x96:
        push(read_bytes(read_le(8), false));
        return;

      case ')':
        push(make_tuple({}));
        return;
      case 't':
        push(make_tuple(pop_mark()));
        return;
      case 0x85: {
        auto* a = pop();
        push(make_tuple({a}));
        return;
      }
      case 0x86: {
        auto* b = pop();
        auto* a = pop();
        push(make_tuple({a, b}));
        return;
      }
      case 0x87: {
        auto* c = pop();
        auto* b = pop();
        auto* a = pop();
        push(make_tuple({a, b, c}));
        return;
      }
      case ']':
        push(make(Kind::List));
        return;
      case 'l': {
        auto items = pop_mark();
        auto* l = make(Kind::List);
        for (auto* i : items) append(l, i);
        push(l);
        return;
      }
      case 'a': {
        auto* v = pop();
        append(top(), v);
        return;
      }
      case 'e': {
        auto items = pop_mark();
        auto* l = top();
        for (auto* i : items) append(l, i);
        return;
      }
      case '}':
        push(make(Kind::Dict));
        return;
      case 'd': {
        auto items = pop_mark();
        if (items.size() % 2) error("DICT with an odd number of items");
        auto* d = make(Kind::Dict);
        for (std::size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        push(d);
        return;
      }
      case 's': {
        auto* v = pop();
        auto* k = pop();
        set_item(top(), k, v);
        return;
      }
      case 'u': {
        auto items = pop_mark();
        if (items.size() % 2) error("SETITEMS with an odd number of items");
        auto* d = top();
        for (std::size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        return;
      }

      case 0x94:
        memo_put(memo_.size());
        return;
      case 'q':
        memo_put(read_le(1));
        return;
      case 'r':
        memo_put(read_le(4));
        return;
      case 'h':
        push(memo_get(read_le(1)));
        return;
      case 'j':
        push(memo_get(read_le(4)));
        return;

      case 'c': {
        const auto module = read_line();
        const auto name = read_line();
        push(resolve_global(module, name));
        return;
      }
      case 0x93: {
        auto* name = pop();
        auto* module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str)
          error("STACK_GLOBAL of a {} and a {}", kind_name(module->kind), kind_name(name->kind));
        push(resolve_global(module->text, name->text));
        return;
      }
      case 'R': {
        auto* args = pop();
        auto* callable = pop();
        push(reduce(callable, args));
        return;
      }
      case 'b': {
        auto* state = pop();
        build(top(), state);
        return;
      }
      case 'Q': {
        if (!options_.torch_storages)
          error("persistent id outside a torch.save archive (is this a torch file?)");
        push(storage_of(pop()));
        return;
      }
    }
    if (opcode_name(op_)) error("not accepted in checkpoints");
    error("unknown opcode");
  }
};

Document unpickle(std::string bytes, const std::string& name, const Options& options) {
  Document doc;
  doc.name_ = name;
  doc.bytes_ = std::make_unique<std::string>(std::move(bytes));
  Unpickler unpickler(doc, options);
  doc.root_ = unpickler.run();
  return doc;
}

std::string printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 120; ++i)
    out += (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (s.size() > 120) out += "...";
  return out;
}

std::optional<std::string> text_of(const Object& object) {
  if (object.kind == Kind::Str) {
    if (object.text.size() > kCheckedStr && !valid_utf8(object.text)) return std::nullopt;
    return std::string(object.text);
  }
  if (object.kind == Kind::Bytes && object.py2_str) return latin1_to_utf8(object.text);
  return std::nullopt;
}

std::optional<std::string> scalar_text(const Object& object) {
  switch (object.kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return object.boolean ? "True" : "False";
    case Kind::Int:
      return std::to_string(object.integer);
    case Kind::BigInt:
      return std::string(object.text);
    case Kind::Float:
      return float_text(object.real);
    default:
      return text_of(object);
  }
}

const Object* dict_get(const Object& dict, std::string_view key) {
  if (dict.kind != Kind::Dict || !dict.index) return nullptr;
  auto it = dict.index->find("s" + std::string(key));
  return it == dict.index->end() ? nullptr : dict.entries[it->second].second;
}

}  // namespace segx::io::pickle
