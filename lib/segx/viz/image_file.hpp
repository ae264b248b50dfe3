// Reading photos and writing pictures: OpenCV decodes the input images (JPEG/PNG photos, not id
// maps); outputs are encoded in memory as PNG or JPEG by their extension and written atomically.
#pragma once
#include <opencv2/core.hpp>

#include <string>

namespace segx::viz {

enum class PictureFormat { Png, Jpeg };

// The format an output path asks for (.png, .jpg, .jpeg); Error(Usage) for any other extension.
// "-" (stdout) is PNG.
PictureFormat picture_format(const std::string& path);

// Reads a colour image (grey images are expanded); NoInput when missing, DataError when
// undecodable.
cv::Mat3b read_picture(const std::string& path);

// Encodes and writes atomically; jpeg_quality 1..100.
void write_picture(const std::string& path, const cv::Mat3b& picture, int jpeg_quality = 92);

}  // namespace segx::viz
