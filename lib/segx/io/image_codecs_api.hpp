// The contract between segx and its image-codec plugin (image_codecs_plugin.cpp): one exported
// function returning a table of plain function pointers. Both sides are built from this source
// tree against the same OpenCV, so cv::Mat and std::vector cross the boundary as they are;
// exceptions do not (failures are returned as false).
#pragma once
#include <cstddef>
#include <vector>

namespace cv {
class Mat;
}

namespace segx::io {

struct ImageCodecsApi {
  int version;
  // cv::imdecode(bytes, flags) into *out; false when OpenCV cannot decode the bytes.
  bool (*decode)(const unsigned char* bytes, std::size_t size, int flags, cv::Mat* out);
  // cv::imencode(extension, image, params) into *out; false on failure.
  bool (*encode)(const char* extension, const cv::Mat* image, const int* params,
                 std::size_t param_count, std::vector<unsigned char>* out);
};

constexpr int kImageCodecsApiVersion = 1;

}  // namespace segx::io

// The plugin's one exported symbol.
extern "C" const segx::io::ImageCodecsApi* segx_image_codecs();
