// Deterministic, prefetching batch loader for training.
#include "segx/train/data_loader.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <tuple>

#include "segx/core/error.hpp"
#include "segx/train/record_annotations.hpp"
#include "segx/train/weighted_sampler.hpp"

namespace segx::train {
namespace {

// Draw slots of counter_uniform beyond those of the dataset choice and the jitter.
constexpr std::uint64_t kTaskSlot = 1ull << 32;

// The shuffled order of one dataset for one epoch (Fisher-Yates from (seed, dataset, epoch)).
std::vector<std::int64_t> epoch_order(std::uint64_t seed, int dataset, std::int64_t epoch,
                                      std::int64_t size) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(size));
  std::iota(order.begin(), order.end(), 0);
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(dataset), static_cast<std::uint32_t>(epoch),
                    static_cast<std::uint32_t>(epoch >> 32)};
  std::mt19937_64 rng(seq);
  for (std::int64_t i = size - 1; i > 0; --i) {
    // Not std::uniform_int_distribution: its algorithm differs between standard libraries.
    const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

// Record index for global sample g of `dataset` (one shuffled pass per epoch).
std::int64_t record_index(std::uint64_t seed, int dataset, std::int64_t size, std::int64_t g) {
  using Key = std::tuple<std::uint64_t, int, std::int64_t, std::int64_t>;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const std::vector<std::int64_t>>> cache;
  const std::int64_t epoch = g / size;
  const Key key{seed, dataset, size, epoch};
  std::shared_ptr<const std::vector<std::int64_t>> order;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it == cache.end()) {
      if (cache.size() >= 16) cache.erase(cache.begin());
      it = cache
               .emplace(key, std::make_shared<const std::vector<std::int64_t>>(
                                 epoch_order(seed, dataset, epoch, size)))
               .first;
    }
    order = it->second;
  }
  return (*order)[static_cast<std::size_t>(g % size)];
}

// The semantic map's value for pixels no target covers.
constexpr int kUnlabeledLabel = 255;

struct Sample {
  at::Tensor image;
  InstanceTargets targets;
  std::vector<std::string> texts;
};

Sample load_sample(const TrainRecord& r, const TrainDataset& ds, const LoaderOptions& o,
                   const std::vector<std::string>& names, Task task, std::int64_t iteration,
                   std::uint64_t slot) {
  cv::Mat bgr = cv::imread(r.image, cv::IMREAD_COLOR);
  if (bgr.empty()) fail(ErrorKind::NoInput, "cannot read image '{}'", r.image);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  std::vector<SegmentInfo> segments;
  const std::uint32_t* ids = record_id_map(r, ds, rgb.rows, rgb.cols, segments);
  auto aug =
      large_scale_jitter(rgb, ids, o.jitter, o.seed, static_cast<std::uint64_t>(iteration), slot);
  const int h = o.jitter.crop_height, w = o.jitter.crop_width;
  auto t = make_task_targets(aug.ids.data(), h, w, segments, names, task, o.num_text_queries,
                             kUnlabeledLabel);
  Sample s;
  s.image = torch::from_blob(aug.image.data, {h, w, 3}, torch::kByte).permute({2, 0, 1}).clone();
  // Instance targets leave stuff out: unlabelled for a model without task prompts, "no object"
  // for OneFormer's instance prompt.
  const bool stuff_unlabeled = task != Task::Instance || !o.task_conditioned;
  if (r.kind == AnnotationKind::Boxes) {
    s.targets = box_targets(r, aug.geometry, h, w);
    if (o.unlabeled_regions && stuff_unlabeled) s.targets.unlabeled = outside_boxes(s.targets, h, w);
  } else {
    s.targets.labels = t.labels;
    s.targets.masks = t.masks;
    if (o.unlabeled_regions && stuff_unlabeled)
      s.targets.unlabeled = t.semantic.eq(kUnlabeledLabel).to(torch::kFloat);
  }
  s.texts = std::move(t.texts);
  return s;
}

}  // namespace

TrainBatch slice_batch(const TrainBatch& b, int first, int count) {
  TrainBatch out;
  out.iteration = b.iteration;
  out.dataset = b.dataset;
  out.images = b.images.narrow(0, first, count);
  auto part = [&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return V(v.begin() + first, v.begin() + first + count);
  };
  out.targets = part(b.targets);
  out.tasks = part(b.tasks);
  out.texts = part(b.texts);
  out.slots = part(b.slots);
  return out;
}

std::pair<int, int> rank_slice(int batch_size, int rank, int world_size) {
  const int per = batch_size / world_size, extra = batch_size % world_size;
  const int first = rank * per + std::min(rank, extra);
  return {first, per + (rank < extra ? 1 : 0)};
}

Task draw_task(const std::vector<Task>& tasks, std::uint64_t seed, std::int64_t iteration,
               std::uint64_t slot) {
  if (tasks.empty()) fail(ErrorKind::Internal, "draw_task: no tasks");
  if (tasks.size() == 1) return tasks.front();
  const double u = counter_uniform(seed, static_cast<std::uint64_t>(iteration), kTaskSlot + slot);
  return tasks[std::min(tasks.size() - 1, static_cast<std::size_t>(u * tasks.size()))];
}

TrainBatch load_batch(const std::vector<TrainDataset>& datasets, const LoaderOptions& o,
                      const std::vector<std::string>& names, std::int64_t iteration) {
  std::vector<double> rates;
  for (const auto& d : datasets) rates.push_back(d.spec.rate);
  TrainBatch b;
  b.iteration = iteration;
  b.dataset = datasets.size() == 1 ? 0 : WeightedSampler(rates).draw(o.seed, iteration, 0);
  const auto& ds = datasets[static_cast<std::size_t>(b.dataset)];
  const auto n = static_cast<std::int64_t>(ds.records.size());
  auto [first, count] = rank_slice(o.batch_size, o.rank, o.world_size);
  std::vector<at::Tensor> images;
  for (int k = 0; k < count; ++k) {
    const auto slot = static_cast<std::uint64_t>(first + k);
    const auto g = iteration * o.batch_size + static_cast<std::int64_t>(slot);
    const auto& rec = ds.records[static_cast<std::size_t>(record_index(o.seed, b.dataset, n, g))];
    const Task task = draw_task(ds.spec.tasks, o.seed, iteration, slot);
    auto s = load_sample(rec, ds, o, names, task, iteration, slot);
    images.push_back(s.image);
    b.targets.push_back(std::move(s.targets));
    b.texts.push_back(std::move(s.texts));
    b.tasks.push_back(task);
    b.slots.push_back(slot);
  }
  b.images = torch::stack(images);
  return b;
}

DataLoader::DataLoader(std::vector<TrainDataset> datasets, std::vector<std::string> class_names,
                       LoaderOptions options, std::int64_t first_iteration)
    : datasets_(std::move(datasets)),
      class_names_(std::move(class_names)),
      options_(options),
      next_to_load_(first_iteration),
      next_to_return_(first_iteration) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) threads_.emplace_back([this] { work(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void DataLoader::work() {
  for (;;) {
    std::int64_t it;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] {
        return stopping_ || error_ ||
               next_to_load_ < next_to_return_ + std::max(1, options_.prefetch);
      });
      if (stopping_ || error_) return;
      it = next_to_load_++;
    }
    try {
      auto batch = load_batch(datasets_, options_, class_names_, it);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(it, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

TrainBatch DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return error_ || ready_.count(next_to_return_) != 0; });
  if (error_) std::rethrow_exception(error_);
  auto node = ready_.extract(next_to_return_);
  ++next_to_return_;
  lock.unlock();
  cv_.notify_all();
  return std::move(node.mapped());
}

}  // namespace segx::train
