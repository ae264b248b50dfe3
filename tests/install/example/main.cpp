// segx_example MODEL_CONFIG WEIGHTS IMAGE: the panoptic segments of one image, one per line.
#include <segx/core/error.hpp>
#include <segx/core/log.hpp>
#include <segx/infer/predictor.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: segx_example MODEL_CONFIG WEIGHTS IMAGE\n";
    return 64;
  }
  // segx's warnings and progress come here instead of stderr.
  segx::log::set_sink([](segx::log::Level, const std::string& message) {
    std::cerr << "[segx] " << message << '\n';
  });
  try {
    const segx::infer::Predictor predictor({argv[1], argv[2]});  // model config, weights
    const auto predictions = predictor.predict({segx::infer::read_rgb_image(argv[3])});
    const auto& p = predictions[0];
    std::cout << p.width << "x" << p.height << ": " << p.segments.size() << " segments\n";
    for (const auto& segment : p.segments)
      std::cout << "segment " << segment.id << " category " << segment.category_id << " area "
                << segment.area << '\n';
  } catch (const segx::Error& e) {  // every error of the library, with its exit-code class
    std::cerr << "segx_example: " << e.what() << '\n';
    return segx::exit_code(e.kind());
  }
}
