// Photo input and PNG/JPEG picture output for segx::viz.
#include "segx/viz/image_file.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "segx/core/error.hpp"
#include "segx/io/image_codecs.hpp"
#include "segx/io/png.hpp"
#include "segx/io/stream.hpp"

namespace segx::viz {

PictureFormat picture_format(const std::string& path) {
  if (io::is_std_stream(path)) return PictureFormat::Png;
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return PictureFormat::Png;
  if (ext == ".jpg" || ext == ".jpeg") return PictureFormat::Jpeg;
  fail(ErrorKind::Usage,
       "cannot write '{}': the picture format follows the extension, .png, .jpg or .jpeg", path);
}

cv::Mat3b read_picture(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory", path);
  std::string bytes = io::read_all(path);
  std::vector<unsigned char> buffer(bytes.begin(), bytes.end());
  const cv::Mat decoded = io::decode_image(buffer, 1);  // 1: cv::IMREAD_COLOR (8-bit BGR)
  if (decoded.empty() || decoded.type() != CV_8UC3)
    fail(ErrorKind::DataError, "cannot decode '{}': not a readable image", path);
  return decoded;
}

void write_picture(const std::string& path, const cv::Mat3b& picture, int jpeg_quality) {
  if (picture_format(path) == PictureFormat::Png) {
    // segx's own PNG writer (libdeflate) encodes photos-with-overlays several times faster than
    // OpenCV's zlib path, which otherwise dominates the time of a batch.
    io::Image png;
    png.width = picture.cols, png.height = picture.rows, png.channels = 3;
    png.data.resize(picture.total() * 3);
    cv::Mat rgb(picture.rows, picture.cols, CV_8UC3, png.data.data());
    cv::cvtColor(picture, rgb, cv::COLOR_BGR2RGB);
    io::PngWriteOptions options;
    options.compression_level = 4;
    io::write_file_atomic(path, io::encode_png(png, options), true);
    return;
  }
  // 1: cv::IMWRITE_JPEG_QUALITY (the imgcodecs header stays with the plugin).
  const auto bytes = io::encode_image(".jpg", picture, {1, std::clamp(jpeg_quality, 1, 100)}, path);
  io::write_file_atomic(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), true);
}

}  // namespace segx::viz
