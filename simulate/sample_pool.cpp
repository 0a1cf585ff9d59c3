#include "simulate/sample_pool.hpp"

#include <cmath>

#include "core/enum_names.hpp"
#include "core/checks.hpp"

namespace batchrmt::simulate {

namespace {
constexpr EnumNames<Curvature, 2> kCurvatureNames{{{Curvature::hessian, "hessian"}, {Curvature::ggn, "ggn"}}};
}  // namespace

Curvature parse_curvature(const std::string& name) { return parse_enum(kCurvatureNames, "curvature", name); }
std::string to_string(Curvature c) { return enum_name(kCurvatureNames, c); }

void PoolSpec::validate(const char* f) const {
  check_at_least<Eigen::Index>(f, "P", P, 1);
  check_at_least<std::int64_t>(f, "N", N, 2);
  check_at_most<std::size_t>(f, "number of spikes", spikes.size(), static_cast<std::size_t>(P));
  for (double s : spikes) check_finite(f, "spike", s);
  if (curvature == Curvature::hessian) {
    if (profile) {
      profile->validate(f);
      if (profile->dimension() != P)
        throw InvalidInput(std::string(f) + ": the block sizes add up to " + std::to_string(profile->dimension()) +
                           ", but must add up to P = " + std::to_string(P) + ".");
    } else {
      check_nonnegative(f, "s2", s2);
    }
  } else {
    check_at_least<std::int64_t>(f, "C", C, 1);
    check_positive(f, "sigma2", sigma2);
    for (double l : spikes) check_positive(f, "ell", l);
    if (law != EntryLaw::gaussian)
      throw InvalidInput(std::string(f) + ": entry law is " + to_string(law) + ", but the GGN pool supports gaussian only.");
  }
}

double PoolSpec::working_bytes() const { return 4.0 * 8.0 * static_cast<double>(P) * static_cast<double>(P); }

std::uint64_t SamplePool::sample_stream(std::int64_t i) {
  return (std::uint64_t{0x706f6f6cu} << 32) | static_cast<std::uint32_t>(i);  // "pool"
}
std::uint64_t SamplePool::spike_stream() { return std::uint64_t{0x73706b65u} << 32; }  // "spke"

SamplePool::SamplePool(PoolSpec spec, std::uint64_t seed) : spec_(std::move(spec)), seed_(seed) {
  spec_.validate("SamplePool");
  if (spec_.N > (std::int64_t{1} << 32))
    throw InvalidInput("SamplePool: N is " + std::to_string(spec_.N) + ", but must be at most 2^32.");
  const Eigen::Index P = spec_.P;
  const auto r = static_cast<Eigen::Index>(spec_.spikes.size());
  if (spec_.curvature == Curvature::hessian) {
    RandomStream rng(seed_, spike_stream());
    vectors_ = random_orthonormal_columns(P, r, rng);
    mean_ = Eigen::MatrixXd::Zero(P, P);
    add_spikes(mean_, spec_.spikes, vectors_);
  } else {
    vectors_ = Eigen::MatrixXd::Identity(P, r);
    mean_ = spec_.sigma2 * Eigen::MatrixXd::Identity(P, P);
    for (Eigen::Index a = 0; a < r; ++a) mean_(a, a) = spec_.spikes[static_cast<std::size_t>(a)];
  }
}

bool SamplePool::cache_samples(double max_bytes) {
  if (spec_.curvature != Curvature::hessian) return false;
  const Eigen::Index P = spec_.P;
  const std::size_t per = static_cast<std::size_t>(P) * static_cast<std::size_t>(P + 1) / 2;
  if (8.0 * static_cast<double>(per) * static_cast<double>(spec_.N) > max_bytes) return false;
  std::vector<double> cache(per * static_cast<std::size_t>(spec_.N));
  for (std::int64_t i = 0; i < spec_.N; ++i) {
    Eigen::MatrixXd x = Eigen::MatrixXd::Zero(P, P);
    add_noise(i, x, 1.0);
    double* row = cache.data() + static_cast<std::size_t>(i) * per;
    std::size_t t = 0;
    for (Eigen::Index j = 0; j < P; ++j)
      for (Eigen::Index k = j; k < P; ++k) row[t++] = x(j, k);
  }
  cache_ = std::move(cache);
  return true;
}

void SamplePool::add_noise(std::int64_t i, Eigen::MatrixXd& acc, double weight) const {
  const Eigen::Index P = spec_.P;
  if (!cache_.empty()) {
    const std::size_t per = static_cast<std::size_t>(P) * static_cast<std::size_t>(P + 1) / 2;
    const double* row = cache_.data() + static_cast<std::size_t>(i) * per;
    std::size_t t = 0;
    for (Eigen::Index j = 0; j < P; ++j) {
      acc(j, j) += weight * row[t++];
      for (Eigen::Index k = j + 1; k < P; ++k) {
        const double x = weight * row[t++];
        acc(j, k) += x;
        acc(k, j) += x;
      }
    }
    return;
  }
  RandomStream rng(seed_, sample_stream(i));
  std::vector<Eigen::Index> block;
  Eigen::MatrixXd block_sd;  // K x K entry standard deviations, one sqrt per block pair
  if (spec_.profile) {
    block = spec_.profile->block_of_index();
    block_sd = spec_.profile->variances.cwiseSqrt();
  }
  const double sd_hom = std::sqrt(spec_.s2);
  auto sd_of = [&](Eigen::Index j, Eigen::Index k) {
    if (!spec_.profile) return sd_hom;
    return block_sd(block[static_cast<std::size_t>(j)], block[static_cast<std::size_t>(k)]);
  };
  // Upper triangle row by row, diagonal first in each row (the order of sample_profile_wigner).
  for (Eigen::Index j = 0; j < P; ++j) {
    // entry first, then the weight: the cached path (weight * stored entry) rounds identically.
    acc(j, j) += weight * (std::sqrt(2.0) * sd_of(j, j) * standard_entry(spec_.law, rng));
    for (Eigen::Index k = j + 1; k < P; ++k) {
      const double x = weight * (sd_of(j, k) * standard_entry(spec_.law, rng));
      acc(j, k) += x;
      acc(k, j) += x;
    }
  }
}

void SamplePool::fill_ggn_columns(std::int64_t i, Eigen::Ref<Eigen::MatrixXd> cols) const {
  RandomStream rng(seed_, sample_stream(i));
  const double base = std::sqrt(spec_.sigma2 / static_cast<double>(spec_.C));
  for (Eigen::Index c = 0; c < cols.cols(); ++c)
    for (Eigen::Index j = 0; j < cols.rows(); ++j) cols(j, c) = base * rng.normal();
  for (std::size_t a = 0; a < spec_.spikes.size(); ++a)
    cols.row(static_cast<Eigen::Index>(a)) *= std::sqrt(spec_.spikes[a] / spec_.sigma2);
}

Eigen::MatrixXd SamplePool::ggn_factor(const std::vector<std::size_t>& indices) const {
  if (spec_.curvature != Curvature::ggn) throw InvalidInput("SamplePool::ggn_factor: the pool is a hessian pool, but a ggn pool is required.");
  const Eigen::Index C = spec_.C;
  Eigen::MatrixXd f(spec_.P, static_cast<Eigen::Index>(indices.size()) * C);
  for (std::size_t t = 0; t < indices.size(); ++t) {
    check_at_most<std::int64_t>("SamplePool::ggn_factor", "sample index", static_cast<std::int64_t>(indices[t]), spec_.N - 1);
    fill_ggn_columns(static_cast<std::int64_t>(indices[t]), f.middleCols(static_cast<Eigen::Index>(t) * C, C));
  }
  return f;
}

Eigen::MatrixXd SamplePool::batch_mean(const std::vector<std::size_t>& indices) const {
  if (indices.empty()) throw InvalidInput("SamplePool::batch_mean: the batch is empty, but must hold at least one sample.");
  const double w = 1.0 / static_cast<double>(indices.size());
  if (spec_.curvature == Curvature::hessian) {
    Eigen::MatrixXd h = mean_;
    for (std::size_t idx : indices) {
      check_at_most<std::int64_t>("SamplePool::batch_mean", "sample index", static_cast<std::int64_t>(idx), spec_.N - 1);
      add_noise(static_cast<std::int64_t>(idx), h, w);
    }
    return h;
  }
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(spec_.P, spec_.P);
  const std::size_t chunk = 256;  // samples per rank update: bounds the factor's memory
  for (std::size_t start = 0; start < indices.size(); start += chunk) {
    const std::vector<std::size_t> part(indices.begin() + static_cast<std::ptrdiff_t>(start),
                                        indices.begin() + static_cast<std::ptrdiff_t>(std::min(indices.size(), start + chunk)));
    g.selfadjointView<Eigen::Lower>().rankUpdate(ggn_factor(part), w);
  }
  return g.selfadjointView<Eigen::Lower>();
}

const Eigen::MatrixXd& SamplePool::empirical() const {
  if (!empirical_) {
    std::vector<std::size_t> all(static_cast<std::size_t>(spec_.N));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    empirical_ = batch_mean(all);
  }
  return *empirical_;
}

double SamplePool::frobenius_variance() const {
  if (!frobenius_variance_) {
    const Eigen::MatrixXd& mean = empirical();
    // Two-pass (centred) sum for accuracy: (1/N) sum_i ||h_i - H_emp||_F^2.
    double total = 0.0;
    for (std::int64_t i = 0; i < spec_.N; ++i) total += (sample(i) - mean).squaredNorm();
    frobenius_variance_ = total / static_cast<double>(spec_.N);
  }
  return *frobenius_variance_;
}

Eigen::MatrixXd SamplePool::sample(std::int64_t i) const {
  check_bounded<std::int64_t>("SamplePool::sample", "i", i, 0, spec_.N - 1);
  return batch_mean({static_cast<std::size_t>(i)});
}

}  // namespace batchrmt::simulate
