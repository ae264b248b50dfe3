// A small synthetic scene for viz tests: a gradient image, two stuff regions, three instances of
// one thing class (two touching), a crowd region and a void band.
#pragma once
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "segx/viz/scene.hpp"

namespace segx::viz::test {

inline CategoryTable synthetic_categories() {
  return CategoryTable({{1, "person", true, Rgb{220, 20, 60}},
                        {2, "car", true, std::nullopt},
                        {10, "road", false, Rgb{128, 64, 128}},
                        {11, "sky", false, std::nullopt}});
}

inline cv::Mat3b synthetic_image(int w = 640, int h = 480) {
  cv::Mat3b img(h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img(y, x) =
          cv::Vec3b(static_cast<uchar>(40 + x * 150 / w), static_cast<uchar>(60 + y * 120 / h), 90);
  return img;
}

// ids: 1 sky (top), 2 road (bottom), 5/6 persons touching, 7 person alone, 9 crowd car, 0 void
// band.
inline Annotation synthetic_annotation(int w = 640, int h = 480) {
  Annotation a;
  a.ids = cv::Mat1i(h, w, 1);
  a.ids(cv::Rect(0, h / 2, w, h / 2)) = 2;
  a.ids(cv::Rect(0, h / 2 - 10, w, 20)) = 0;
  a.ids(cv::Rect(w / 10, h / 4, w / 8, h / 2)) = 5;
  a.ids(cv::Rect(w / 10 + w / 8, h / 4, w / 8, h / 2)) = 6;
  a.ids(cv::Rect(w / 2, h / 3, w / 10, h / 3)) = 7;
  a.ids(cv::Rect(3 * w / 4, 3 * h / 5, w / 6, h / 6)) = 9;
  a.segments = {{1, 11, false, {}}, {2, 10, false, {}}, {5, 1, false, {}},
                {6, 1, false, {}},  {7, 1, false, {}},  {9, 2, true, {}}};
  return a;
}

// Writes a picture under $SEGX_VIZ_DUMP (when set) so that a person can look at it.
inline void dump(const std::string& name, const cv::Mat& picture) {
  if (const char* dir = std::getenv("SEGX_VIZ_DUMP")) {
    std::filesystem::create_directories(dir);
    cv::imwrite(std::string(dir) + "/" + name + ".png", picture);
  }
}

}  // namespace segx::viz::test
