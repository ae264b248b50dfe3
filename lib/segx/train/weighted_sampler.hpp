// Deterministic draws for multi-dataset co-training (DaTaSeg: one dataset per iteration, chosen by
// its sampling rate) and OneFormer's per-image task choice. Every draw is a pure function of
// (seed, iteration, slot), so a resumed run replays exactly the same sequence.
#pragma once
#include <cstdint>
#include <vector>

namespace segx::train {

class WeightedSampler {
 public:
  // Rates need not sum to 1; each must be positive (Error Config otherwise).
  explicit WeightedSampler(std::vector<double> rates);

  // Index drawn for (seed, iteration, slot) with probability rate / sum(rates).
  int draw(std::uint64_t seed, std::uint64_t iteration, std::uint64_t slot = 0) const;
  int size() const { return static_cast<int>(cumulative_.size()); }

 private:
  std::vector<double> cumulative_;  // normalised cumulative rates, last == 1
};

// A uniform double in [0, 1) from a counter-based hash (SplitMix64) of the three keys.
double counter_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b);

}  // namespace segx::train
