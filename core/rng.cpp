#include "core/rng.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt {

namespace {
constexpr std::uint32_t kStreamTag = 0x62726d74u;  // "brmt"

std::mt19937_64 make_engine(std::uint64_t seed, std::uint64_t stream) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed & 0xffffffffu), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(stream & 0xffffffffu), static_cast<std::uint32_t>(stream >> 32),
                    kStreamTag};
  return std::mt19937_64(seq);
}
}  // namespace

RandomStream::RandomStream(std::uint64_t seed, std::uint64_t stream)
    : seed_(seed), stream_(stream), engine_(make_engine(seed, stream)) {}

double RandomStream::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double RandomStream::uniform_open() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }

double RandomStream::rademacher() { return (engine_() >> 63) ? 1.0 : -1.0; }

// Marsaglia & Bray (1964), SIAM Review 6:260: polar form of Box-Muller.
double RandomStream::normal() {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  cached_normal_ = v * factor;
  has_cached_normal_ = true;
  return u * factor;
}

// Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
// ACM TOMS 26(3):363-372. For shape < 1: Gamma(a) = Gamma(a+1) * U^(1/a).
double RandomStream::gamma(double shape, double scale) {
  check_positive("RandomStream::gamma", "shape", shape);
  check_positive("RandomStream::gamma", "scale", scale);
  if (shape < 1.0) {
    const double g = gamma(shape + 1.0, 1.0);
    return scale * g * std::pow(uniform_open(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return scale * d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return scale * d * v;
  }
}

double RandomStream::chi(double dof) {
  check_positive("RandomStream::chi", "dof", dof);
  return std::sqrt(gamma(0.5 * dof, 2.0));
}

std::uint64_t RandomStream::below(std::uint64_t n) {
  if (n == 0) throw InvalidInput("RandomStream::below: n is 0, but must be at least 1.");
  // Reject the incomplete top block [2^64 - (2^64 mod n), 2^64) so every residue is equally likely.
  const std::uint64_t threshold = (0 - n) % n;  // = 2^64 mod n
  for (;;) {
    const std::uint64_t r = engine_();
    if (r >= threshold) return r % n;
  }
}

void RandomStream::fill_normal(double* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] = normal();
}

void RandomStream::fill_rademacher(double* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] = rademacher();
}

std::vector<std::size_t> RandomStream::permutation(std::size_t n) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(below(i));
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

std::vector<std::size_t> batch_indices(std::size_t N, std::size_t B, std::uint64_t seed, std::uint64_t stream) {
  check_at_least<std::size_t>("batch_indices", "B", B, 1);
  check_at_most<std::size_t>("batch_indices", "B", B, N);
  RandomStream rng(seed, stream);
  auto p = rng.permutation(N);
  p.resize(B);
  return p;
}

}  // namespace batchrmt
