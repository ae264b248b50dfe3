// A restricted unpickler for checkpoint files: the subset of Python's pickle protocols 2-5 that
// numpy-array pickles (detectron2 model-zoo .pkl) and torch.save's data.pkl use, read into plain
// values. Nothing is imported or called: GLOBAL names resolve only against an allow-list of
// constructors implemented here (numpy arrays and dtypes, torch tensor views, OrderedDict), and
// any other global (os.system, builtins.eval, ...) makes the whole file a DataError.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "segx/io/safetensors.hpp"  // io::DType

namespace segx::io::pickle {

enum class Kind : std::uint8_t {
  None,
  Bool,
  Int,     // fits std::int64_t
  BigInt,  // larger integers (LONG1/LONG4), kept as decimal text
  Float,
  Str,    // Python 3 str, UTF-8
  Bytes,  // bytes or bytearray; or a Python 2 str (py2_str)
  Tuple,
  List,
  Dict,     // dict or collections.OrderedDict, in insertion order
  Global,   // an allow-listed class or function (numpy.dtype, torch.FloatStorage, ...)
  DType,    // a numpy.dtype
  Array,    // a numpy.ndarray
  Storage,  // a torch.save storage reference (BINPERSID), its bytes live in the zip
  Tensor,   // a torch tensor: a strided view into a Storage
};

const char* kind_name(Kind kind);

// The allow-list: every callable a checkpoint pickle may name, each implemented by the reader.
enum class Callable : std::uint8_t {
  NumpyReconstruct,  // numpy.core.multiarray._reconstruct (numpy 2: numpy._core.multiarray)
  NumpyNdarray,      // numpy.ndarray, only as _reconstruct's first argument
  NumpyDtype,        // numpy.dtype
  NumpyFrombuffer,   // numpy.core.numeric._frombuffer (protocol 5)
  NumpyScalar,       // numpy.core.multiarray.scalar: a numpy scalar, read as a 0-d array
  CodecsEncode,      // _codecs.encode(str, "latin1"): how protocol 2 writes Python 3 bytes
  BuiltinBytes,      // bytes(): how protocol 2 writes b""
  OrderedDict,       // collections.OrderedDict
  TorchRebuildTensorV2,
  TorchRebuildParameter,
  TorchRebuildParameterWithState,
  TorchStorageType,  // torch.FloatStorage, ...: only inside a storage reference
};

struct Object {
  Kind kind = Kind::None;
  bool boolean = false;
  std::int64_t integer = 0;  // Int; Storage: element count
  double real = 0;
  // Str (UTF-8), Bytes, BigInt (decimal), Global ("module.name"), Storage (record key). A view
  // into the pickle's bytes or into `owned`.
  std::string_view text;
  std::string owned;
  bool py2_str = false;        // Bytes read from a Python 2 str (BINSTRING): also text, in Latin-1
  std::vector<Object*> items;  // Tuple, List
  std::vector<std::pair<Object*, Object*>> entries;                     // Dict
  std::unique_ptr<std::unordered_map<std::string, std::size_t>> index;  // Dict: key -> entry
  Callable callable{};                                                  // Global
  DType dtype = DType::U8;            // Global (storage types), DType, Array, Storage
  bool big_endian = false;            // DType, Array
  bool fortran = false;               // Array
  bool built = false;                 // Array: its state is set; DType: BUILD seen
  std::vector<std::int64_t> shape;    // Array, Tensor
  std::vector<std::int64_t> strides;  // Tensor, in elements
  std::int64_t offset = 0;            // Tensor: storage offset, in elements
  const Object* data = nullptr;       // Array: the Bytes with its elements; Tensor: Storage
  std::uint32_t depth = 0;            // container nesting, for the depth limit
};

struct Options {
  // torch.save's data.pkl: storage references (BINPERSID) are accepted.
  bool torch_storages = false;
  // Real checkpoints stay far below these (about 15 values and 10 memo entries per tensor);
  // they bound what a hostile file of a few megabytes can make the reader allocate (an Object
  // is about 220 bytes).
  std::size_t max_depth = 64;          // nested MARKs, tuples, lists and dicts
  std::size_t max_memo = 1u << 22;     // memo entries
  std::size_t max_objects = 1u << 22;  // values created
  // The record inside an archive the pickle came from ("archive/data.pkl"), named in messages
  // after the file.
  std::string record;
};

// The values of one pickle; owns its bytes (strings and arrays are views into them).
class Document {
 public:
  Document() = default;
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;
  const Object& root() const { return *root_; }
  const std::string& name() const { return name_; }

 private:
  friend class Unpickler;
  friend Document unpickle(std::string bytes, const std::string& name, const Options& options);
  std::string name_;
  std::unique_ptr<std::string> bytes_;  // on the heap: views stay valid when the Document moves
  std::deque<Object> objects_;
  Object* root_ = nullptr;
};

// Reads one pickle from `bytes` (trailing bytes after STOP are ignored, as Python does). `name`
// (a file name) starts every error message. Error(DataError) for anything malformed, truncated,
// over a limit, or outside the subset.
Document unpickle(std::string bytes, const std::string& name, const Options& options = {});

// The text of a Str, or of a Python 2 str (Latin-1); nullopt for anything else.
std::optional<std::string> text_of(const Object& object);
// None, bools, numbers and strings as Python's str() shows them; nullopt for anything else.
std::optional<std::string> scalar_text(const Object& object);
// Text from a file made fit for a one-line message: printable ASCII ('?' for the rest), at most
// 120 characters.
std::string printable(std::string_view text);
// The Dict entry under the text key `key`, or nullptr.
const Object* dict_get(const Object& dict, std::string_view key);

}  // namespace segx::io::pickle
