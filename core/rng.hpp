// Random streams: (seed, stream) -> engine, with portable transforms.
//
// Every random number in batchrmt comes from a RandomStream. The engine is
// std::mt19937_64, whose output sequence the C++ standard fixes exactly
// ([rand.eng.mers]); it is seeded through std::seed_seq (also fixed exactly by
// [rand.util.seedseq]) with the five 32-bit words
//     (seed_lo, seed_hi, stream_lo, stream_hi, 0x62726d74 "brmt"),
// so (seed, stream) names one sequence on every standard library. Distinct
// streams of one seed are distinct seed_seq inputs, hence statistically
// independent engines for all practical purposes (the standard's seed_seq
// mixes every input word into every state word).
//
// The library distributions (std::normal_distribution, std::gamma_distribution,
// std::uniform_int_distribution, std::shuffle) are NOT used: their output is
// implementation-defined. Instead, and documented here once:
//   uniform()       (u64 >> 11) * 2^-53, in [0, 1), exactly 53 random bits;
//   uniform_open()  ((u64 >> 11) + 0.5) * 2^-53, in (0, 1);
//   normal()        Marsaglia polar method (Marsaglia & Bray 1964), one cached
//                   second variate; uses only IEEE sqrt (exact) and log;
//   gamma(k, s)     Marsaglia & Tsang (2000), ACM TOMS 26:363, with the
//                   boost U^(1/k) for k < 1;
//   chi(k)          sqrt(gamma(k/2, 2)) (docs/theory.md 4.1);
//   below(n)        unbiased integer in [0, n) by rejection of the top
//                   partial block (no modulo bias);
//   permutation(n)  in-house Fisher-Yates with below() (docs/theory.md 5.4).
// The only platform dependence left is std::log / std::exp rounding, which is
// correctly rounded or within one ulp in glibc; the tests pin exact values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace batchrmt {

class RandomStream {
 public:
  using result_type = std::uint64_t;

  RandomStream(std::uint64_t seed, std::uint64_t stream);

  std::uint64_t seed() const noexcept { return seed_; }
  std::uint64_t stream() const noexcept { return stream_; }

  // UniformRandomBitGenerator interface (so the engine can feed other code).
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type(0); }
  result_type operator()() { return engine_(); }

  double uniform();
  double uniform_open();
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  double normal();
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // +1 or -1 with probability 1/2 each (top bit of one draw).
  double rademacher();
  // Gamma(shape, scale); shape > 0, scale > 0. Mean shape * scale.
  double gamma(double shape, double scale);
  // Chi with dof > 0 degrees of freedom: sqrt(Gamma(dof/2, 2)).
  double chi(double dof);
  // Unbiased integer in [0, n); n >= 1.
  std::uint64_t below(std::uint64_t n);

  void fill_normal(double* x, std::size_t n);
  void fill_rademacher(double* x, std::size_t n);

  // Uniform random permutation of {0, ..., n-1} (Fisher-Yates, Knuth TAOCP 3.4.2 Alg. P).
  std::vector<std::size_t> permutation(std::size_t n);

 private:
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::mt19937_64 engine_;
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

// Indices of a batch of size B drawn without replacement from {0..N-1}: the first B
// entries of the permutation of RandomStream(seed, stream). Batches of one seed are
// nested across B (docs/theory.md 5.4). Throws InvalidInput unless 1 <= B <= N.
std::vector<std::size_t> batch_indices(std::size_t N, std::size_t B, std::uint64_t seed,
                                       std::uint64_t stream = 0);

}  // namespace batchrmt
