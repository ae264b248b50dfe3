// Resource limits: the pixel and JSON checks at their boundaries, and the environment's values.
#include <gtest/gtest.h>

#include <cstdlib>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"

namespace segx {
namespace {

struct KeepLimits {
  ResourceLimits saved = resource_limits();
  ~KeepLimits() { set_resource_limits(saved); }
};

TEST(ResourceLimits, PixelsAtTheLimitPassAndOneMoreIsRefusedNamingTheSource) {
  KeepLimits keep;
  set_resource_limits({100, 1000});
  EXPECT_NO_THROW(check_pixels(10, 10, "'a.png'"));
  EXPECT_NO_THROW(check_pixels(0, 1u << 31, "'a.png'"));
  try {
    check_pixels(101, 1, "'b.png'");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find("'b.png': image of 101x1 = 101 pixels is over the limit "
                                         "of 100 pixels"),
              std::string::npos)
        << e.what();
  }
  // No overflow at the largest sizes.
  EXPECT_THROW(check_pixels(0xffffffffu, 0xffffffffu, "x"), Error);
  EXPECT_NO_THROW(check_json_bytes(1000, "x"));
  EXPECT_THROW(check_json_bytes(1001, "x"), Error);
}

TEST(ResourceLimits, DefaultsAndTheEnvironment) {
  unsetenv("SEGX_MAX_PIXELS");
  unsetenv("SEGX_MAX_JSON_BYTES");
  EXPECT_EQ(resource_limits_from_environment().max_pixels, std::uint64_t{1} << 28);
  EXPECT_EQ(resource_limits_from_environment().max_json_bytes, std::uint64_t{16} << 30);
  setenv("SEGX_MAX_PIXELS", "12345", 1);
  EXPECT_EQ(resource_limits_from_environment().max_pixels, 12345u);
  for (const char* bad : {"0", "-5", "12x", "99999999999999999999999"}) {
    setenv("SEGX_MAX_PIXELS", bad, 1);
    try {
      resource_limits_from_environment();
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << bad;
    }
  }
  unsetenv("SEGX_MAX_PIXELS");
}

}  // namespace
}  // namespace segx
