// The restricted unpickler on hand-made opcode streams: values, the allow-list, limits, and
// every prefix and byte flip of a real model-zoo pickle (a DataError, never a crash).
#include <gtest/gtest.h>

#include <cstring>

#include "segx/core/error.hpp"
#include "segx/io/pickle.hpp"
#include "support/fixtures.hpp"

namespace segx::io::pickle {
namespace {

using namespace std::string_literals;

const std::string kData = std::string(SEGX_SOURCE_DIR) + "/tests/unit/io/data/checkpoints/";

std::string le(std::uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string binunicode(const std::string& s) {
  return "X" + le(s.size(), 4) + s;
}
std::string short_str(const std::string& s) {
  return "\x8c" + le(s.size(), 1) + s;
}

// The message of the DataError that unpickling `bytes` raises ("" when it succeeds).
std::string refusal(const std::string& bytes, const Options& options = {}) {
  try {
    unpickle(bytes, "x.pkl", options);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError) << e.what();
    return e.what();
  }
  return "";
}

#define EXPECT_REFUSED(bytes, part)                                               \
  do {                                                                            \
    const auto msg_ = refusal(bytes);                                             \
    EXPECT_NE(msg_.find(part), std::string::npos) << "message: '" << msg_ << "'"; \
    EXPECT_NE(msg_.find("'x.pkl'"), std::string::npos) << msg_;                   \
    EXPECT_EQ(msg_.find('\n'), std::string::npos) << msg_;                        \
  } while (0)

TEST(Pickle, ReadsScalarsStringsAndContainers) {
  const std::string p =
      std::string("\x80\x02}q\x00("s) + binunicode("i") + "J\xfe\xff\xff\xff" + binunicode("big") +
      "\x8a\x09" + std::string(8, '\0') + "\x01" + binunicode("neg") + "\x8a\x02\x00\xff"s +
      binunicode("f") + "G\x3f\xd0\x00\x00\x00\x00\x00\x00"s + binunicode("one") +
      "G\x3f\xf0\x00\x00\x00\x00\x00\x00"s + binunicode("t") + "\x88" + binunicode("n") + "N" +
      binunicode("py2") + "U\x03\xe9t\xe9" + binunicode("l") +
      "](K\x01K\x02"
      "e" +
      binunicode("tup") + "K\x01K\x02\x86" + "u.";
  const auto doc = unpickle(p, "x.pkl");
  const auto& root = doc.root();
  ASSERT_EQ(root.kind, Kind::Dict);
  ASSERT_EQ(root.entries.size(), 10u);
  EXPECT_EQ(scalar_text(*dict_get(root, "i")), "-2");
  EXPECT_EQ(scalar_text(*dict_get(root, "big")), "18446744073709551616");  // 2^64, LONG1
  EXPECT_EQ(scalar_text(*dict_get(root, "neg")), "-256");
  EXPECT_EQ(scalar_text(*dict_get(root, "f")), "0.25");
  EXPECT_EQ(scalar_text(*dict_get(root, "one")), "1.0");  // as Python shows a float
  EXPECT_EQ(scalar_text(*dict_get(root, "t")), "True");
  EXPECT_EQ(scalar_text(*dict_get(root, "n")), "None");
  EXPECT_EQ(scalar_text(*dict_get(root, "py2")), "\xc3\xa9t\xc3\xa9");  // Latin-1 -> UTF-8
  EXPECT_EQ(dict_get(root, "l")->items.size(), 2u);
  EXPECT_FALSE(scalar_text(*dict_get(root, "l")));
  EXPECT_EQ(dict_get(root, "tup")->kind, Kind::Tuple);
  EXPECT_EQ(root.entries[0].first->text, "i");  // insertion order
}

TEST(Pickle, EqualKeysReplaceTheValueInPlaceAsInPython) {
  // {1: 'a', True: 'b', 1.0: 'c', 2: 'd'} == {1: 'c', 2: 'd'}
  const std::string p = std::string("\x80\x02}(K\x01") + binunicode("a") + "\x88" +
                        binunicode("b") + "G\x3f\xf0\x00\x00\x00\x00\x00\x00"s + binunicode("c") +
                        "K\x02" + binunicode("d") + "u.";
  const auto doc = unpickle(p, "x.pkl");
  ASSERT_EQ(doc.root().entries.size(), 2u);
  EXPECT_EQ(doc.root().entries[0].second->text, "c");
}

TEST(Pickle, GlobalsOutsideTheAllowListAreRefusedAndNamed) {
  EXPECT_REFUSED("cos\nsystem\n(X\x02\x00\x00\x00idtR."s, "refused global 'os.system'");
  EXPECT_REFUSED(
      "\x80\x02"
      "cposix\nsystem\nq\x00."s,
      "refused global 'posix.system'");
  EXPECT_REFUSED("\x80\x04" + short_str("builtins") + short_str("eval") + "\x93.",
                 "refused global 'builtins.eval'");
  EXPECT_REFUSED(
      "\x80\x02"
      "c__builtin__\neval\n.",
      "refused global '__builtin__.eval'");
  EXPECT_REFUSED(
      "\x80\x02"
      "csubprocess\nPopen\n.",
      "subprocess.Popen");
  EXPECT_REFUSED(
      "\x80\x02"
      "ctorch.storage\n_load_from_bytes\n.",
      "_load_from_bytes");
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy\nload\n.",
      "numpy.load");
  // Near misses of allowed names are other names.
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy.core.multiarray \n_reconstruct\n.",
      "refused global");
  EXPECT_REFUSED("\x80\x04" + short_str("numpy") + short_str("dtype.__class__") + "\x93.",
                 "refused global");
  // The offset of the GLOBAL opcode is named.
  const auto msg = refusal("\x80\x02}cos\nsystem\n.");
  EXPECT_NE(msg.find("opcode GLOBAL at offset 3"), std::string::npos) << msg;
}

TEST(Pickle, AllowedGlobalsCallOnlyWhatTheyImplement) {
  // numpy.ndarray(...) and torch.FloatStorage(...) are names, not calls the reader makes.
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy\nndarray\n)R.",
      "numpy.ndarray is not called");
  EXPECT_REFUSED(
      "\x80\x02"
      "ctorch\nFloatStorage\n)R.",
      "torch.FloatStorage is not called");
  EXPECT_REFUSED(
      "\x80\x02"
      "c_codecs\nencode\n" +
          binunicode("x") + binunicode("utf-8") + "\x86R.",
      "only latin1");
  EXPECT_REFUSED(
      "\x80\x02"
      "c__builtin__\nbytes\n" +
          binunicode("x") + "\x85R.",
      "bytes() with arguments");
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy\ndtype\n" +
          binunicode("O8") + "\x89\x88\x87R.",
      "object arrays");
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy\ndtype\n" +
          binunicode("U5") + "\x89\x88\x87R.",
      "not supported");
  // REDUCE needs a callable: calling a str is not a thing.
  EXPECT_REFUSED("\x80\x02" + binunicode("f") + ")R.", "REDUCE calls a str");
}

// Protocol 2 writes Python 3 bytes as _codecs.encode(<their Latin-1 text>, "latin1").
TEST(Pickle, Protocol2BytesAreTheLatin1TextOfAStr) {
  const auto encode = [](const std::string& utf8) {
    return "\x80\x02"
           "c_codecs\nencode\n" +
           binunicode(utf8) + binunicode("latin1") + "\x86R.";
  };
  std::string raw, text;  // every byte value, several times: over the 4 KiB checked on reading
  for (int k = 0; k < 20; ++k)
    for (int c = 0; c < 256; ++c) {
      raw += static_cast<char>(c);
      if (c < 0x80) {
        text += static_cast<char>(c);
      } else {
        text += static_cast<char>(0xc0 | (c >> 6));
        text += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
  for (const auto& [utf8, bytes] :
       {std::pair{text, raw}, std::pair{"\xc3\xa9"s, "\xe9"s}, std::pair{""s, ""s}}) {
    const auto doc = unpickle(encode(utf8), "x.pkl");
    EXPECT_EQ(doc.root().kind, Kind::Bytes);
    EXPECT_TRUE(doc.root().text == bytes);
  }
  EXPECT_REFUSED(encode("\xe2\x82\xac"), "not Latin-1 text");  // U+20AC
  // Any byte above 0x7f in place of an ASCII one (start, middle, end) breaks it.
  text += 'z';
  for (std::size_t at : {std::size_t{0}, text.find('A', 3000), text.size() - 1}) {
    ASSERT_LT(static_cast<unsigned char>(text[at]), 0x80) << at;
    for (char c : {'\x80', '\xbf', '\xc3', '\xc4', '\xff'}) {
      auto bad = text;
      bad[at] = c;
      const auto msg = refusal(encode(bad));
      EXPECT_TRUE(msg.find("not Latin-1 text") != std::string::npos ||
                  msg.find("not valid UTF-8") != std::string::npos)
          << at << " " << int(c) << ": " << msg;
    }
  }
}

TEST(Pickle, OpcodesOutsideTheSubsetAreRefusedByName) {
  EXPECT_REFUSED("\x80\x02\x81.", "opcode NEWOBJ at offset 2: not accepted");
  EXPECT_REFUSED("\x80\x02(cos\nsystem\no.", "refused global");  // OBJ never reached
  EXPECT_REFUSED(
      "\x80\x02(i"
      "os\nsystem\n.",
      "opcode INST");
  EXPECT_REFUSED("\x80\x02\x82\x01.", "opcode EXT1");
  EXPECT_REFUSED("\x80\x05\x97.", "opcode NEXT_BUFFER");
  EXPECT_REFUSED("\x80\x02P0\n.", "opcode PERSID");
  EXPECT_REFUSED("\x80\x02\xff.", "opcode 0xff at offset 2: unknown opcode");
  EXPECT_REFUSED("\x80\x06}.", "pickle protocol 6");
  // Storage references belong to torch.save archives only.
  EXPECT_REFUSED("\x80\x02)Q.", "persistent id outside a torch.save archive");
}

TEST(Pickle, LengthsAreCheckedAgainstTheBytesLeftBeforeAllocating) {
  EXPECT_REFUSED("\x80\x04\x8e" + le(std::uint64_t{1} << 60, 8) + "abc.",
                 "truncated: needs 1152921504606846976 bytes, 4 left");
  EXPECT_REFUSED("\x80\x04\x8d" + le(~std::uint64_t{0}, 8) + ".", "truncated");
  EXPECT_REFUSED("\x80\x05\x96" + le(std::uint64_t{1} << 62, 8) + ".", "truncated");
  EXPECT_REFUSED("\x80\x02X\xff\xff\xff\x7f.", "truncated");
  EXPECT_REFUSED("\x80\x02T\xff\xff\xff\xff.", "negative length");
  EXPECT_REFUSED("\x80\x02\x8b\x00\x00\x00\x40."s, "truncated");
  EXPECT_REFUSED("\x80\x02\x8b" + le(300, 4) + std::string(300, '\1') + ".", "integer of 300");
  EXPECT_REFUSED("\x80\x04\x95" + le(std::uint64_t{1} << 40, 8) + "}.", "frame of");
  EXPECT_REFUSED("\x80\x02}", "truncated pickle: ends at offset 3 without STOP");
  EXPECT_REFUSED(
      "\x80\x02"
      "cnumpy\ndtype",
      "no end of line");
  EXPECT_REFUSED("\x80\x02" + binunicode("\xff\xfe") + ".", "not valid UTF-8");
}

TEST(Pickle, StackMemoAndNestingAreBounded) {
  EXPECT_REFUSED("\x80\x02.", "stack underflow");
  EXPECT_REFUSED("\x80\x02]a.", "stack underflow");
  EXPECT_REFUSED("\x80\x02](K\x01\x85", "truncated");
  EXPECT_REFUSED("\x80\x02K\x01(a.", "stack underflow");  // APPEND may not reach below a MARK
  EXPECT_REFUSED("\x80\x02h\x05.", "memo entry 5 was never stored");
  EXPECT_REFUSED("\x80\x02}(]K\x01u.", "a list cannot be a dict key");
  EXPECT_REFUSED("\x80\x02K\x00K\x01K\x02s."s, "SETITEM on a int");
  EXPECT_REFUSED(std::string("\x80\x02") + std::string(100000, '(') + ".", "MARKs nested deeper");
  // ((((...),),),): tuples are immutable, so their depth is exact.
  EXPECT_REFUSED(std::string("\x80\x02)") + std::string(100000, '\x85') + ".",
                 "nested deeper than 64");
  // [[[...]]] built from the inside out.
  EXPECT_REFUSED(std::string("\x80\x02") + std::string(1000, ']') + std::string(999, 'a') + ".",
                 "nested deeper than 64");
  Options small;
  small.max_memo = 10;
  std::string memo = "\x80\x02N";
  for (int i = 0; i < 20; ++i) memo += "r" + le(0xfffffff0u + i, 4);
  EXPECT_NE(refusal(memo + ".", small).find("more than 10 memo entries"), std::string::npos);
  small.max_objects = 100;
  EXPECT_NE(refusal("\x80\x02" + std::string(200, '}') + ".", small).find("more than 100 values"),
            std::string::npos);
  // One memoized 1 MiB string as the key of many dicts, or many times in a tuple key.
  const auto big = "\x80\x04\x8d"s + le(1u << 20, 8) + std::string(1u << 20, 'k') + "\x94";
  std::string many_keys = big;
  for (int i = 0; i < 64; ++i) many_keys += "}h\x00K\x01s0"s;
  EXPECT_REFUSED(many_keys + ".", "exceed twice the pickle's size");
  std::string tuple_key = big + "}(h\x00"s;
  for (int i = 0; i < 12; ++i) tuple_key += "2\x86";  // s -> (s, s) -> ((s, s), (s, s)) -> ...
  EXPECT_REFUSED(tuple_key + "K\x01u.", "exceed twice the pickle's size");
  // A dict holding itself is read (nothing walks it recursively).
  const auto doc = unpickle(
      "\x80\x02}q\x00(X\x01\x00\x00\x00"s
      "ah\x00u."s,
      "x.pkl");
  EXPECT_EQ(doc.root().entries.at(0).second, &doc.root());
}

TEST(Pickle, NumpyArrayStatesAreChecked) {
  const std::string reconstruct =
      "\x80\x02"
      "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"s
      "C\x01"
      "b\x87R";
  const std::string dtype_f4 = "cnumpy\ndtype\n" + binunicode("f4") + "\x89\x88\x87R";
  // (1, (2,), dtype('f4'), False, 8 bytes): fine; 7 bytes: refused.
  const auto ok =
      reconstruct + "(K\x01K\x02\x85" + dtype_f4 + "\x89" + "C\x08" + std::string(8, '\0') + "tb.";
  const auto doc = unpickle(ok, "x.pkl");
  EXPECT_EQ(doc.root().kind, Kind::Array);
  EXPECT_EQ(doc.root().shape, (std::vector<std::int64_t>{2}));
  EXPECT_REFUSED(
      reconstruct + "(K\x01K\x02\x85" + dtype_f4 + "\x89" + "C\x07" + std::string(7, '\0') + "tb.",
      "array of 2 elements of F32 holds 7 bytes, expected 8");
  // Object arrays carry a list of objects as their data.
  EXPECT_REFUSED(reconstruct + "(K\x01K\x02\x85" + dtype_f4 + "\x89" +
                     "](K\x01K\x02"
                     "etb.",
                 "object arrays are not read");
  // A shape whose element count overflows.
  EXPECT_REFUSED(reconstruct + "(K\x01(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7ft" +
                     dtype_f4 + "\x89" + "C\x00tb."s,
                 "more than 2^56 elements");
  EXPECT_REFUSED(reconstruct + "(K\x01J\xff\xff\xff\xff\x85" + dtype_f4 + "\x89" + "C\x00tb."s,
                 "holds -1");
  EXPECT_REFUSED(reconstruct + "(K\x01K\x00\x85"s + dtype_f4 + "\x89" + "C\x00tb"s +
                     "(K\x01K\x00"s + "\x85" + dtype_f4 + "\x89" + "C\x00tb."s,
                 "numpy array state set twice");
}

TEST(Pickle, EveryPrefixOfARealPickleIsADataError) {
  for (const char* name : {"d2_p2.pkl", "d2_p4.pkl", "d2_p5.pkl", "d2_py2.pkl"}) {
    const auto bytes = test::read_file(kData + name);
    ASSERT_NO_THROW(unpickle(bytes, name));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      try {
        unpickle(bytes.substr(0, n), name);
        ADD_FAILURE() << name << " cut at " << n << " was read";
      } catch (const Error& e) {
        ASSERT_EQ(e.kind(), ErrorKind::DataError) << e.what();
      }
    }
  }
}

TEST(Pickle, ByteFlipsOfARealPickleAreReadOrRefusedNeverAnythingElse) {
  for (const char* name : {"d2_p2.pkl", "d2_p5.pkl"}) {
    const auto bytes = test::read_file(kData + name);
    int refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
      for (unsigned char x : {0x01, 0x80, 0xff}) {
        auto b = bytes;
        b[i] = static_cast<char>(static_cast<unsigned char>(b[i]) ^ x);
        try {
          unpickle(b, name);
        } catch (const Error& e) {
          ASSERT_EQ(e.kind(), ErrorKind::DataError) << e.what();
          ++refused;
        }
      }
    EXPECT_GT(refused, 100) << name;
  }
}

}  // namespace
}  // namespace segx::io::pickle
