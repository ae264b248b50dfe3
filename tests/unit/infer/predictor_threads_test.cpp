// Predictor::predict from several threads at once on one Predictor (the library's documented
// promise) gives each thread what a call on its own gives.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "segx/infer/predictor.hpp"
#include "support/fixtures.hpp"

namespace segx::infer {
namespace {

TEST(PredictorThreads, ConcurrentCallsOnOnePredictorEqualSequentialOnes) {
  SEGX_REQUIRE_FIXTURES();
  PredictorOptions o;
  o.config = std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json";
  o.weights = (test::fixtures_root() / "reference-model/small/weights.safetensors").string();
  o.object_mask_threshold = 0.3;
  o.overlap_threshold = 0.0;
  o.threads = 1;
  const Predictor predictor(o);
  std::vector<RgbImage> images;
  for (const char* name : {"000000000001.jpg", "000000000002.jpg", "000000000003.jpg"})
    images.push_back(read_rgb_image((test::fixtures_root() / "synth/n200/images" / name).string()));
  std::vector<Prediction> sequential;
  for (const auto& image : images) sequential.push_back(predictor.predict({image})[0]);

  constexpr int kRounds = 2;
  std::vector<std::vector<Prediction>> concurrent(images.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < images.size(); ++i)
    threads.emplace_back([&, i] {
      for (int r = 0; r < kRounds; ++r) concurrent[i].push_back(predictor.predict({images[i]})[0]);
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < images.size(); ++i)
    for (const auto& p : concurrent[i]) {
      EXPECT_EQ(p.panoptic, sequential[i].panoptic) << "image " << i;
      ASSERT_EQ(p.segments.size(), sequential[i].segments.size()) << "image " << i;
      for (std::size_t s = 0; s < p.segments.size(); ++s) {
        EXPECT_EQ(p.segments[s].category_id, sequential[i].segments[s].category_id);
        EXPECT_EQ(p.segments[s].score, sequential[i].segments[s].score);
      }
    }
}

}  // namespace
}  // namespace segx::infer
