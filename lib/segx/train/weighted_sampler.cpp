// Counter-based weighted draws (no hidden RNG state to checkpoint).
#include "segx/train/weighted_sampler.hpp"

#include <algorithm>
#include <cmath>

#include "segx/core/error.hpp"

namespace segx::train {
namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

double counter_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

WeightedSampler::WeightedSampler(std::vector<double> rates) {
  if (rates.empty()) fail(ErrorKind::Config, "sampling rates: no datasets");
  double total = 0;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    if (!(rates[i] > 0) || !std::isfinite(rates[i]))
      fail(ErrorKind::Config, "sampling rate of dataset {} is {}; rates must be positive", i, rates[i]);
    total += rates[i];
  }
  double running = 0;
  for (double r : rates) cumulative_.push_back((running += r) / total);
  cumulative_.back() = 1.0;
}

int WeightedSampler::draw(std::uint64_t seed, std::uint64_t iteration, std::uint64_t slot) const {
  double u = counter_uniform(seed, iteration, slot);
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return static_cast<int>(std::min<std::ptrdiff_t>(it - cumulative_.begin(), size() - 1));
}

}  // namespace segx::train
