// SHA-256: the FIPS 180-2 test vectors, and files (empty, one block, several 1 MiB blocks) against
// what coreutils' sha256sum prints.
#include "segx/io/digest.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "segx/core/error.hpp"
#include "support/fixtures.hpp"

namespace segx::io {
namespace {

// The first word of `sha256sum FILE`, or "" when the tool is not there.
std::string sha256sum(const std::string& path) {
  std::string cmd = "sha256sum '" + path + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  return out.substr(0, out.find(' '));
}

TEST(Digest, Fips180Vectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, FilesEqualSha256sum) {
  auto dir = test::temp_dir("digest");
  std::mt19937 rng(7);
  // Sizes around the 1 MiB read block: a short read at the end, an exact multiple, and none.
  for (std::size_t size :
       {std::size_t(0), std::size_t(1000), std::size_t(1) << 20, (std::size_t(3) << 20) + 17}) {
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = char(rng());
    const auto path = (dir / ("f" + std::to_string(size))).string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    const FileDigest d = sha256_file(path);
    EXPECT_EQ(d.bytes, size);
    EXPECT_EQ(d.sha256, sha256_hex(bytes)) << size;
    const std::string reference = sha256sum(path);
    if (reference.empty()) GTEST_SKIP() << "sha256sum not available";
    EXPECT_EQ(d.sha256, reference) << size;
  }
}

TEST(Digest, MissingFileIsNoInput) {
  try {
    sha256_file("/nonexistent/segx/x.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NoInput);
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace segx::io
