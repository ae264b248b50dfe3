// Reading an image file into the Predictor's RgbImage (OpenCV's codecs).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/infer/predictor.hpp"

namespace segx::infer {

namespace fs = std::filesystem;

RgbImage read_rgb_image(const std::string& path) {
  if (!fs::exists(path))
    fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory", path);
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) fail(ErrorKind::DataError, "'{}': not a readable image", path);
  if (m.depth() != CV_8U)
    fail(ErrorKind::DataError, "'{}': {}-bit images are not supported (8-bit RGB expected)", path,
         m.depth() == CV_16U ? 16 : 32);
  cv::Mat rgb;
  switch (m.channels()) {
    case 1:
      log::warn("'{}': grayscale image, replicated to RGB", path);
      cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      log::warn("'{}': alpha channel ignored", path);
      cv::cvtColor(m, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      fail(ErrorKind::DataError, "'{}': {} channels (RGB expected)", path, m.channels());
  }
  RgbImage im;
  im.width = rgb.cols;
  im.height = rgb.rows;
  im.data.assign(rgb.data, rgb.data + rgb.total() * 3);
  return im;
}

}  // namespace segx::infer
