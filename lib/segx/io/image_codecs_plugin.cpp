// The image-codec plugin (segx-codecs.so): OpenCV's imgcodecs behind the table of
// image_codecs_api.hpp. Built as a module of its own so that only the processes that read or
// write photos load imgcodecs and the ~120 libraries it depends on (see image_codecs.hpp).
#include <opencv2/imgcodecs.hpp>

#include "segx/io/image_codecs_api.hpp"

namespace {

bool decode(const unsigned char* bytes, std::size_t size, int flags, cv::Mat* out) {
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8U, const_cast<unsigned char*>(bytes));
    *out = cv::imdecode(buffer, flags);
    return !out->empty();
  } catch (...) {
    return false;
  }
}

bool encode(const char* extension, const cv::Mat* image, const int* params,
            std::size_t param_count, std::vector<unsigned char>* out) {
  try {
    return cv::imencode(extension, *image, *out, std::vector<int>(params, params + param_count));
  } catch (...) {
    return false;
  }
}

const segx::io::ImageCodecsApi table{segx::io::kImageCodecsApiVersion, &decode, &encode};

}  // namespace

extern "C" __attribute__((visibility("default"))) const segx::io::ImageCodecsApi*
segx_image_codecs() {
  return &table;
}
