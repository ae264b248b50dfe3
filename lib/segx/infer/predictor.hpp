// Inference facade without LibTorch in its interface (the CLI includes it): loads a model
// config + weights, runs batches of RGB images and returns panoptic/semantic/instance results.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace segx::infer {

struct PredictorOptions {
  std::string config;   // segx JSON model config
  std::string weights;  // safetensors
  // CLIP's BPE file bpe_simple_vocab_16e6.txt.gz (OneFormer with the token-MLP task embedding
  // only); empty: the config's oneformer.tokenizer (relative to the config file). Error(Usage)
  // when neither names one.
  std::string tokenizer;
  std::string device = "cpu";  // "cpu" or "cuda" (Error(Unavailable) without CUDA)
  // panoptic | instance | semantic; instance with a maskformer model is Error(Usage)
  std::string task = "panoptic";
  int threads = 0;                    // 0: LibTorch's default
  double object_mask_threshold = -1;  // < 0: the config's
  double overlap_threshold = -1;
};

struct RgbImage {  // 8-bit RGB, row-major, 3 bytes per pixel
  int width = 0, height = 0;
  std::vector<std::uint8_t> data;
};

// An image file (PNG, JPEG, ... as OpenCV reads them) as 8-bit RGB, as detectron2's
// read_image(format="RGB"): grayscale is replicated and alpha dropped (with a warning); other bit
// depths are refused. Error(NoInput) when missing, Error(DataError) when unreadable.
RgbImage read_rgb_image(const std::string& path);

struct PredictedSegment {
  int id = 0;
  int category_id = 0;  // dataset id (config category_ids) or contiguous id
  bool isthing = false;
  float score = 0;
  std::uint64_t area = 0;
};

struct PredictedInstance {
  int category_id = 0;
  float score = 0;
  std::vector<std::uint8_t> mask;  // row-major height x width, 0/1
};

struct Prediction {
  int width = 0, height = 0;
  std::vector<std::uint32_t> panoptic;  // segment id per pixel, 0 = void (task panoptic)
  std::vector<PredictedSegment> segments;
  std::vector<std::uint16_t> semantic;       // category id per pixel (task semantic)
  std::vector<PredictedInstance> instances;  // task instance
};

// One class the model predicts, as its outputs name it.
struct PredictedCategory {
  int id = 0;        // dataset id (config category_ids) or contiguous id
  std::string name;  // config class_names, else "class_{id}"
  bool isthing = false;
};

class Predictor {
 public:
  explicit Predictor(const PredictorOptions& options);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;
  // Safe to call from several threads at once on one Predictor: the model is read-only once
  // built. Each call runs on LibTorch's intra-op threads (PredictorOptions::threads, which the
  // constructor sets for the whole process).
  std::vector<Prediction> predict(const std::vector<RgbImage>& images) const;
  // The model's classes (background excluded), in contiguous order.
  std::vector<PredictedCategory> categories() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segx::infer
