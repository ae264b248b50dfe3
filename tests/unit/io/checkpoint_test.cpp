// Checkpoint readers on the files scripts/gen_checkpoint_fixtures.py wrote: every tensor equals
// what the script says the file holds, hostile files are refused without running anything, and
// a parity fixture's weights read the same as .pkl, .pth and safetensors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "segx/core/error.hpp"
#include "segx/io/checkpoint.hpp"
#include "segx/io/safetensors.hpp"
#include "support/fixtures.hpp"

namespace segx::io {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(SEGX_SOURCE_DIR) / "tests/unit/io/data/checkpoints";

std::string data(const std::string& name) {
  return (kData / name).string();
}

// Names (in file order), dtypes, shapes and bytes equal the expected safetensors file's; its
// metadata "names" gives the order and "info" the scalar entries.
void expect_holds(const Checkpoint& got, const std::string& expected_file, bool check_info = true) {
  const auto expected = SafetensorsFile::read(data(expected_file));
  const auto names = nlohmann::json::parse(expected.metadata().at("names"));
  EXPECT_EQ(got.names, names.get<std::vector<std::string>>()) << expected_file;
  ASSERT_EQ(got.tensors.size(), got.names.size());
  for (const auto& name : got.names) {
    SCOPED_TRACE(expected_file + ": " + name);
    ASSERT_TRUE(expected.contains(name));
    const auto& t = got.tensors.at(name);
    EXPECT_STREQ(dtype_name(t.dtype), dtype_name(expected.info(name).dtype));
    EXPECT_EQ(t.shape, expected.info(name).shape);
    EXPECT_TRUE(t.data == expected.data(name)) << "bytes differ";
  }
  if (check_info) {
    const auto info = nlohmann::json::parse(expected.metadata().at("info"));
    EXPECT_EQ(got.info, info.get<decltype(got.info)>()) << expected_file;
  }
}

// The message of the Error of `kind` that reading `path` raises.
template <typename Read>
std::string refusal(Read read, const std::string& path, ErrorKind kind = ErrorKind::DataError) {
  try {
    read(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << " was read";
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Checkpoint, ReadsModelZooPicklesOfEveryProtocolAndNumpyVersion) {
  for (const char* name : {"d2_p2.pkl", "d2_p3.pkl", "d2_p4.pkl", "d2_p5.pkl", "d2_numpy2_p2.pkl",
                           "d2_numpy2_p4.pkl", "d2_numpy2_p5.pkl", "d2_py2.pkl"}) {
    SCOPED_TRACE(name);
    expect_holds(read_detectron2_pkl(data(name)), "d2.expected.safetensors");
    expect_holds(read_checkpoint(data(name)), "d2.expected.safetensors");
  }
}

TEST(Checkpoint, ConvertsByteOrderAndMemoryOrder) {
  // Spot values, independent of the expected files: big-endian Fortran-order int32 (2, 3, 4)
  // holding arange(-6, 18) in C order, and a transposed (Fortran-order) float array.
  const auto ckpt = read_detectron2_pkl(data("d2_p2.pkl"));
  const auto& t = ckpt.tensors.at("sem_seg_head.big_endian_fortran_i4");
  ASSERT_EQ(t.dtype, DType::I32);
  ASSERT_EQ(t.shape, (std::vector<std::int64_t>{2, 3, 4}));
  std::vector<std::int32_t> v(24);
  std::memcpy(v.data(), t.data.data(), 96);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(v[i], i - 6);
  const auto& tr = ckpt.tensors.at("transposed");  // arange(24).reshape(4, 6).T
  ASSERT_EQ(tr.shape, (std::vector<std::int64_t>{6, 4}));
  float f[24];
  std::memcpy(f, tr.data.data(), sizeof f);
  EXPECT_EQ(f[1], 6.0f);
  EXPECT_EQ(f[4], 1.0f);
  const auto& z = ckpt.tensors.at("zero_d");
  EXPECT_TRUE(z.shape.empty());
  EXPECT_EQ(z.numel(), 1);
  EXPECT_EQ(ckpt.tensors.at("empty").data.size(), 0u);
  EXPECT_EQ(ckpt.info.at("big"), "1180591620717411303424");
}

TEST(Checkpoint, ReadsTorchSaveArchives) {
  for (const char* name : {"torch_state_dict.pth", "torch_d2.pth", "torch_views.pth",
                           "pytorch_model.bin", "torch_bigendian.pth"}) {
    SCOPED_TRACE(name);
    expect_holds(read_torch_checkpoint(data(name)), std::string(name) + ".expected.safetensors");
    expect_holds(read_checkpoint(data(name)), std::string(name) + ".expected.safetensors");
  }
}

TEST(Checkpoint, TorchViewsAreCopiedOutOfTheirStorages) {
  const auto ckpt = read_torch_checkpoint(data("torch_views.pth"));
  auto floats = [&](const std::string& name) {
    const auto& t = ckpt.tensors.at(name);
    std::vector<float> v(t.data.size() / 4);
    std::memcpy(v.data(), t.data.data(), t.data.size());
    return v;
  };
  EXPECT_EQ(floats("offset_view"), (std::vector<float>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(floats("transposed"), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(floats("stepped"), (std::vector<float>{1, 4, 7, 21, 24, 27, 41, 44, 47}));
  EXPECT_EQ(floats("expanded"), (std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
  EXPECT_EQ(floats("last"), (std::vector<float>{59}));
  EXPECT_EQ(floats("zero_d_view"), (std::vector<float>{7}));
  EXPECT_EQ(ckpt.tensors.at("whole").data.size(), 240u);
  EXPECT_EQ(ckpt.tensors.at("tied_a").data, ckpt.tensors.at("tied_b").data);
}

TEST(Checkpoint, TorchOptimizerStateAndOtherTensorsAreNotReturned) {
  const auto ckpt = read_torch_checkpoint(data("torch_d2.pth"));
  for (const auto& name : ckpt.names) EXPECT_EQ(name.rfind("sem_seg_head.", 0), 0u) << name;
  EXPECT_EQ(ckpt.info.at("iteration"), "99");
  EXPECT_EQ(ckpt.info.count("optimizer"), 0u);
}

TEST(Checkpoint, ReadsSafetensorsByContent) {
  const auto ckpt = read_checkpoint(data("d2.expected.safetensors"));
  const auto file = SafetensorsFile::read(data("d2.expected.safetensors"));
  EXPECT_EQ(ckpt.names, file.names());
  EXPECT_EQ(ckpt.info, file.metadata());
  EXPECT_EQ(ckpt.tensors.at("f8").data, file.data("f8"));
}

// Hostile pickles: refused naming the global, and their payloads (which touch a marker file in
// the working directory under Python) never run.
TEST(Checkpoint, HostilePicklesAreRefusedAndNothingRuns) {
  const auto dir = test::temp_dir("ckpt_evil");
  const auto cwd = fs::current_path();
  fs::current_path(dir);
  struct Case {
    const char* file;
    const char* global;
    const char* marker;
  };
  for (const auto& c :
       {Case{"evil_os_system.pkl", "'posix.system'", "segx_pwned_os_system"},
        Case{"evil_eval_p4.pkl", "'builtins.eval'", "segx_pwned_eval"},
        Case{"evil_subprocess_p5.pkl", "'subprocess.call'", "segx_pwned_subprocess"},
        Case{"evil.pth", "'posix.system'", "segx_pwned_torch"}}) {
    SCOPED_TRACE(c.file);
    const auto path = data(c.file);
    for (auto read : {read_checkpoint, read_detectron2_pkl, read_torch_checkpoint}) {
      if ((read == read_torch_checkpoint) != has(c.file, ".pth")) continue;
      const auto msg = refusal(read, path);
      EXPECT_TRUE(has(msg, "refused global " + std::string(c.global))) << msg;
      EXPECT_TRUE(has(msg, "'" + path + "'")) << msg;
    }
    EXPECT_FALSE(fs::exists(dir / c.marker));
  }
  fs::current_path(cwd);
  EXPECT_TRUE(has(refusal(read_checkpoint, data("evil.pth")), "data.pkl: pickle opcode"));
}

TEST(Checkpoint, MalformedAndUnsupportedFilesAreDataErrorsSayingWhy) {
  EXPECT_TRUE(has(refusal(read_detectron2_pkl, data("evil_object_array.pkl")),
                  "object arrays are not read"));
  for (auto read : {read_checkpoint, read_torch_checkpoint, read_detectron2_pkl})
    EXPECT_TRUE(has(refusal(read, data("torch_legacy.pth")), "re-save it with torch >= 1.6"));
  EXPECT_TRUE(has(refusal(read_torch_checkpoint, data("bad_view.pth")),
                  "tensor view (offset 1, size 2x2, stride 2,1) reaches past storage '0' of 4"));
  EXPECT_TRUE(has(refusal(read_torch_checkpoint, data("bad_storage_size.pth")),
                  "storage '0' of 1099511627776 F32 elements (4398046511104 bytes) is a record of "
                  "16 bytes"));
  EXPECT_TRUE(has(refusal(read_torch_checkpoint, data("stride0_bomb.pth")),
                  "more than four times the file holds"));
  EXPECT_TRUE(has(refusal(read_checkpoint, data("numpy.npz")), "not a torch.save file"));
  EXPECT_TRUE(has(refusal(read_detectron2_pkl, data("torch_d2.pth")), "a zip archive"));
  EXPECT_TRUE(has(refusal(read_torch_checkpoint, data("d2_p2.pkl")), "not a torch.save zip"));
  const auto dir = test::temp_dir("ckpt_bad");
  std::ofstream(dir / "text.txt") << "hello";
  EXPECT_TRUE(has(refusal(read_checkpoint, (dir / "text.txt").string()), "not a checkpoint"));
  std::ofstream(dir / "dict.pkl", std::ios::binary) << std::string("\x80\x02}q\x00.", 6);
  EXPECT_TRUE(
      has(refusal(read_detectron2_pkl, (dir / "dict.pkl").string()), "no arrays or tensors"));
  std::ofstream(dir / "list.pkl", std::ios::binary) << std::string("\x80\x02]q\x00.", 6);
  EXPECT_TRUE(has(refusal(read_detectron2_pkl, (dir / "list.pkl").string()), "holds a list"));
}

TEST(Checkpoint, MissingFilesAreNoInput) {
  for (auto read : {read_checkpoint, read_torch_checkpoint, read_detectron2_pkl})
    EXPECT_TRUE(
        has(refusal(read, "/nonexistent/model.pth", ErrorKind::NoInput), "/nonexistent/model.pth"));
  const auto dir = test::temp_dir("ckpt_dir").string();
  for (auto read : {read_checkpoint, read_torch_checkpoint, read_detectron2_pkl})
    EXPECT_TRUE(has(refusal(read, dir, ErrorKind::NoInput), dir));
}

// Cut or corrupted archives: refused (libzip's checks, the CRC, the pickle's own), never read
// wrong and never a crash.
TEST(Checkpoint, TruncatedOrCorruptedArchivesAreDataErrors) {
  const auto bytes = test::read_file(kData / "torch_state_dict.pth");
  const auto dir = test::temp_dir("ckpt_cut");
  const auto path = (dir / "cut.pth").string();
  for (std::size_t n = 0; n < bytes.size(); n += 97) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, n);
    refusal(read_checkpoint, path);
  }
  // One flipped bit in each 64-byte block: refused or, when it only hits padding, read the same.
  const auto good = read_torch_checkpoint(data("torch_state_dict.pth"));
  int refused = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 64) {
    auto b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x10);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
    try {
      const auto ckpt = read_torch_checkpoint(path);
      EXPECT_EQ(ckpt.names, good.names) << "flip at " << i;
      for (const auto& name : ckpt.names)
        EXPECT_EQ(ckpt.tensors.at(name).data, good.tensors.at(name).data) << "flip at " << i;
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::DataError) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 10);
}

// The weights of a real parity fixture, written as the official formats by Python at test time,
// read bit for bit as the safetensors file holds them.
TEST(Checkpoint, ParityFixtureWeightsReadTheSameAsPklPthAndSafetensors) {
  const auto weights =
      fs::path(SEGX_SOURCE_DIR) / "tests/parity/model/data/m2f_swin_w7/weights.safetensors";
  const auto script = fs::path(SEGX_SOURCE_DIR) / "tests/unit/io/safetensors_to_checkpoints.py";
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const auto dir = test::temp_dir("ckpt_parity");
  const auto log = dir / "python.log";
  const std::string command = "/usr/bin/python3 '" + script.string() + "' '" + weights.string() +
                              "' '" + dir.string() + "' > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    GTEST_SKIP() << test::read_file(log);  // "missing python module: torch"
  ASSERT_EQ(status, 0) << test::read_file(log);
  const auto expected = SafetensorsFile::read(weights.string());
  for (const auto& ckpt : {read_detectron2_pkl((dir / "weights.pkl").string()),
                           read_torch_checkpoint((dir / "weights.pth").string()),
                           read_checkpoint((dir / "weights.pkl").string()),
                           read_checkpoint((dir / "weights.pth").string())}) {
    ASSERT_EQ(ckpt.names, expected.names());
    for (const auto& name : ckpt.names) {
      const auto& t = ckpt.tensors.at(name);
      ASSERT_EQ(t.dtype, expected.info(name).dtype) << name;
      ASSERT_EQ(t.shape, expected.info(name).shape) << name;
      ASSERT_TRUE(t.data == expected.data(name)) << name;
    }
  }
}

}  // namespace
}  // namespace segx::io
