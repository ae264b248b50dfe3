// Photo files in every format OpenCV reads and writes (JPEG, PNG, WebP, TIFF, ...), through a
// plugin loaded on first use. OpenCV's imgcodecs pulls in ~120 shared libraries (GDAL, codecs,
// their dependencies): linked into segx, they cost every process 0.05 s and 44 MB at start-up,
// a third of a whole `segx eval ap`, although only visualize and synthetic-image generation read
// or write photos. The plugin, segx-codecs.so, sits beside segx in the build tree and in
// <prefix>/libexec/segx once installed; without it those two exit 69 with its expected paths.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace segx::io {

// cv::imdecode(bytes, flags); an empty Mat when the bytes are no image OpenCV can read.
cv::Mat decode_image(const std::vector<unsigned char>& bytes, int flags);

// cv::imencode(extension, image, params); Error(Internal) naming `what` when encoding fails.
std::vector<unsigned char> encode_image(const std::string& extension, const cv::Mat& image,
                                        const std::vector<int>& params, const std::string& what);

}  // namespace segx::io
