// Commands that read "-" say so when nothing is piped in, naming stdin, with exit 65.
#include <gtest/gtest.h>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

TEST(EmptyStdin, EachReaderOfDashSaysSo) {
  auto dir = temp_dir("empty_stdin");
  auto r = run_segx({"-q", "convert", "synth", "--images", "2", "--no-images", "--out-dir",
                     (dir / "d").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto manifest = (dir / "d/manifest.jsonl").string();
  const auto vocab = (dir / "v.json").string();
  r = run_segx({"-q", "vocab", "build", manifest, "-o", vocab});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"vocab", "check", vocab}, "segx vocab check: -: invalid JSON: empty input\n"},
      {{"vocab", "apply", vocab, "-"}, "segx vocab apply: -: invalid JSON: empty input\n"},
      {{"vocab", "check", "-", manifest}, "segx vocab check: -: invalid JSON: empty input\n"},
      {{"eval", "pq", "--gt-manifest", manifest, "--pred-manifest", "-"},
       "segx eval pq: '<stdin>': empty manifest (no header record)\n"},
      {{"convert", "lint", "-"}, "segx convert lint: '<stdin>': empty manifest (no header record)\n"},
  };
  for (const auto& c : cases) {
    r = run_segx(c.args);  // stdin is /dev/null
    EXPECT_EQ(r.exit_code, 65) << c.args[1];
    EXPECT_EQ(r.err, c.message);
    EXPECT_EQ(r.out, "") << c.args[1];
  }
}

}  // namespace
}  // namespace segx::test
