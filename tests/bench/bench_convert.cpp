// Decode-only pass vs the full panoptic -> instances conversion over the same PNGs, in one run
// (scripts/bench_convert.sh prepares the data). Usage: bench_convert JSON... [benchmark flags];
// SEGX_BENCH_THREADS sets the worker count (default 2).
#include <benchmark/benchmark.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <ostream>
#include <streambuf>

#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/panoptic_convert.hpp"
#include "segx/io/panoptic_png.hpp"

namespace {

std::vector<std::string> g_inputs;
int g_threads = 2;

struct NullBuffer : std::streambuf {
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

void DecodeOnly(benchmark::State& state) {
  std::vector<segx::dataset::CocoPanoptic> sets;
  for (const auto& p : g_inputs) sets.push_back(segx::dataset::CocoPanoptic::read(p));
  std::size_t images = 0;
  for (auto _ : state) {
    for (const auto& in : sets) {
      std::vector<segx::io::PanopticIds> bufs(static_cast<std::size_t>(g_threads));
      segx::parallel_for(in.annotations.size(), g_threads, [&](std::size_t i, int w) {
        segx::io::read_panoptic_png(in.png_path(in.annotations[i]), bufs[std::size_t(w)]);
      });
      images += in.annotations.size();
    }
  }
  state.counters["images/s"] = benchmark::Counter(double(images), benchmark::Counter::kIsRate);
}

// The same pass with libpng through OpenCV (the zlib-based reference of the issue).
void DecodeOnlyOpenCv(benchmark::State& state) {
  std::vector<segx::dataset::CocoPanoptic> sets;
  for (const auto& p : g_inputs) sets.push_back(segx::dataset::CocoPanoptic::read(p));
  std::size_t images = 0;
  for (auto _ : state) {
    for (const auto& in : sets) {
      std::vector<std::vector<uint32_t>> bufs(static_cast<std::size_t>(g_threads));
      segx::parallel_for(in.annotations.size(), g_threads, [&](std::size_t i, int w) {
        cv::Mat m = cv::imread(in.png_path(in.annotations[i]), cv::IMREAD_UNCHANGED);
        auto& ids = bufs[std::size_t(w)];
        ids.resize(std::size_t(m.rows) * m.cols);
        for (int y = 0; y < m.rows; ++y) {
          const uint8_t* p = m.ptr<uint8_t>(y);
          for (int x = 0; x < m.cols; ++x, p += 3) ids[std::size_t(y) * m.cols + x] = segx::io::rgb2id(p[2], p[1], p[0]);
        }
      });
      images += in.annotations.size();
    }
  }
  state.counters["images/s"] = benchmark::Counter(double(images), benchmark::Counter::kIsRate);
}

void PanopticToInstances(benchmark::State& state) {
  std::size_t images = 0;
  NullBuffer nb;
  std::ostream null(&nb);
  for (auto _ : state) {
    // Reading the JSON is part of the conversion a user runs.
    for (const auto& p : g_inputs) {
      auto in = segx::dataset::CocoPanoptic::read(p);
      segx::dataset::PanopticToInstancesOptions o;
      o.threads = g_threads;
      segx::dataset::panoptic_to_instances(in, o, null);
      images += in.annotations.size();
    }
  }
  state.counters["images/s"] = benchmark::Counter(double(images), benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) g_inputs.push_back(argv[i]);
  if (g_inputs.empty()) {
    std::fprintf(stderr, "usage: bench_convert PANOPTIC_JSON... [--benchmark_* flags]\n");
    return 64;
  }
  if (const char* t = std::getenv("SEGX_BENCH_THREADS")) g_threads = std::atoi(t);
  segx::Progress::set_enabled(false);
  benchmark::RegisterBenchmark("DecodeOnly", DecodeOnly)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);
  benchmark::RegisterBenchmark("DecodeOnlyOpenCv", DecodeOnlyOpenCv)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);
  benchmark::RegisterBenchmark("PanopticToInstances", PanopticToInstances)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
