#include "simulate/ensembles.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt::simulate {

Eigen::MatrixXd random_orthonormal_columns(Eigen::Index n, Eigen::Index r, RandomStream& rng) {
  check_at_least<Eigen::Index>("random_orthonormal_columns", "n", n, 1);
  check_bounded<Eigen::Index>("random_orthonormal_columns", "r", r, 0, n);
  Eigen::MatrixXd g(n, r);
  for (Eigen::Index c = 0; c < r; ++c)
    for (Eigen::Index i = 0; i < n; ++i) g(i, c) = rng.normal();
  if (r == 0) return g;
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(n, r);
  const Eigen::MatrixXd R = qr.matrixQR().topRows(r).triangularView<Eigen::Upper>();
  for (Eigen::Index c = 0; c < r; ++c)
    if (R(c, c) < 0) q.col(c) = -q.col(c);
  return q;
}

void add_spikes(Eigen::MatrixXd& h, const std::vector<double>& thetas, const Eigen::MatrixXd& vectors) {
  check_size_match("add_spikes", "thetas", thetas.size(), "the columns of vectors",
                   static_cast<std::size_t>(vectors.cols()));
  check_size_match("add_spikes", "vectors rows", static_cast<std::size_t>(vectors.rows()), "the matrix",
                   static_cast<std::size_t>(h.rows()));
  for (std::size_t a = 0; a < thetas.size(); ++a) {
    const auto v = vectors.col(static_cast<Eigen::Index>(a));
    h.noalias() += thetas[a] * v * v.transpose();
  }
}

Eigen::MatrixXd sample_spiked_wigner(Eigen::Index n, double sigma, const std::vector<double>& thetas,
                                     RandomStream& rng, EntryLaw law, const Eigen::MatrixXd& vectors) {
  for (double t : thetas) check_finite("sample_spiked_wigner", "theta", t);
  Eigen::MatrixXd h = sample_wigner(n, sigma, rng, law);
  if (thetas.empty()) return h;
  if (vectors.size() == 0) {
    add_spikes(h, thetas, random_orthonormal_columns(n, static_cast<Eigen::Index>(thetas.size()), rng));
  } else {
    add_spikes(h, thetas, vectors);
  }
  return h;
}

Eigen::MatrixXd sample_spiked_covariance(Eigen::Index p, Eigen::Index m, double sigma2,
                                         const std::vector<double>& ells, RandomStream& rng, EntryLaw law) {
  const char* f = "sample_spiked_covariance";
  check_at_least<Eigen::Index>(f, "p", p, 1);
  check_at_least<Eigen::Index>(f, "m", m, 1);
  check_positive(f, "sigma2", sigma2);
  check_at_most<std::size_t>(f, "number of spikes", ells.size(), static_cast<std::size_t>(p));
  for (double l : ells) check_positive(f, "ell", l);
  Eigen::MatrixXd x(p, m);
  for (Eigen::Index c = 0; c < m; ++c)
    for (Eigen::Index i = 0; i < p; ++i) x(i, c) = standard_entry(law, rng);
  // Sigma^{1/2} = sqrt(sigma2) I + sum_a (sqrt(ell_a) - sqrt(sigma2)) e_a e_a^T: scale rows.
  x *= std::sqrt(sigma2);
  for (std::size_t a = 0; a < ells.size(); ++a) x.row(static_cast<Eigen::Index>(a)) *= std::sqrt(ells[a] / sigma2);
  const double inv_m = 1.0 / static_cast<double>(m);
  if (p <= m) {
    Eigen::MatrixXd c = Eigen::MatrixXd::Zero(p, p);
    c.selfadjointView<Eigen::Lower>().rankUpdate(x, inv_m);
    return c.selfadjointView<Eigen::Lower>();
  }
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(m, m);
  g.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose(), inv_m);
  return g.selfadjointView<Eigen::Lower>();
}

Eigen::Index BlockProfile::dimension() const {
  Eigen::Index n = 0;
  for (auto s : sizes) n += s;
  return n;
}

std::vector<Eigen::Index> BlockProfile::block_of_index() const {
  std::vector<Eigen::Index> out;
  out.reserve(static_cast<std::size_t>(dimension()));
  for (std::size_t a = 0; a < sizes.size(); ++a)
    for (Eigen::Index j = 0; j < sizes[a]; ++j) out.push_back(static_cast<Eigen::Index>(a));
  return out;
}

void BlockProfile::validate(const char* function) const {
  if (sizes.empty()) throw InvalidInput(std::string(function) + ": the block sizes are empty, but at least one block is required.");
  for (auto s : sizes) check_at_least<Eigen::Index>(function, "block size", s, 1);
  const auto K = static_cast<Eigen::Index>(sizes.size());
  if (variances.rows() != K || variances.cols() != K)
    throw InvalidInput(std::string(function) + ": the block variances form a " + std::to_string(variances.rows()) +
                       " x " + std::to_string(variances.cols()) + " matrix, but " + std::to_string(K) +
                       " blocks need a " + std::to_string(K) + " x " + std::to_string(K) + " matrix.");
  for (Eigen::Index a = 0; a < K; ++a)
    for (Eigen::Index b = 0; b < K; ++b) {
      check_nonnegative(function, "block variance", variances(a, b));
      if (variances(a, b) != variances(b, a))
        throw InvalidInput(std::string(function) + ": block variance (" + std::to_string(a + 1) + "," +
                           std::to_string(b + 1) + ") differs from (" + std::to_string(b + 1) + "," +
                           std::to_string(a + 1) + "), but the profile must be symmetric.");
    }
}

Eigen::VectorXd BlockProfile::block_row_sums() const {
  const auto K = static_cast<Eigen::Index>(sizes.size());
  Eigen::VectorXd r = Eigen::VectorXd::Zero(K);
  for (Eigen::Index a = 0; a < K; ++a)
    for (Eigen::Index b = 0; b < K; ++b) r(a) += static_cast<double>(sizes[static_cast<std::size_t>(b)]) * variances(a, b);
  return r;
}

Eigen::MatrixXd sample_profile_wigner(const BlockProfile& profile, RandomStream& rng, EntryLaw law) {
  profile.validate("sample_profile_wigner");
  const auto block = profile.block_of_index();
  return sample_profile_wigner(
      profile.dimension(),
      [&](Eigen::Index j, Eigen::Index k) {
        return profile.variances(block[static_cast<std::size_t>(j)], block[static_cast<std::size_t>(k)]);
      },
      rng, law);
}

Eigen::MatrixXd sample_profile_wigner(Eigen::Index n, const std::function<double(Eigen::Index, Eigen::Index)>& variance,
                                      RandomStream& rng, EntryLaw law) {
  check_at_least<Eigen::Index>("sample_profile_wigner", "n", n, 1);
  Eigen::MatrixXd w(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double vjj = variance(j, j);
    check_nonnegative("sample_profile_wigner", "variance", vjj);
    w(j, j) = std::sqrt(2.0 * vjj) * standard_entry(law, rng);
    for (Eigen::Index k = j + 1; k < n; ++k) {
      const double v = variance(j, k);
      check_nonnegative("sample_profile_wigner", "variance", v);
      const double x = std::sqrt(v) * standard_entry(law, rng);
      w(j, k) = x;
      w(k, j) = x;
    }
  }
  return w;
}

Eigen::VectorXd block_spike_vector(const BlockProfile& profile, const std::vector<double>& weights,
                                   RandomStream& rng) {
  profile.validate("block_spike_vector");
  check_size_match("block_spike_vector", "spike weights", weights.size(), "the blocks", profile.sizes.size());
  double total = 0;
  for (double w : weights) {
    check_nonnegative("block_spike_vector", "spike weight", w);
    total += w;
  }
  if (std::abs(total - 1.0) > 1e-9)
    throw InvalidInput("block_spike_vector: the spike weights sum to " + detail::format_value(total) +
                       ", but must sum to 1.");
  Eigen::VectorXd phi(profile.dimension());
  Eigen::Index j = 0;
  for (std::size_t a = 0; a < profile.sizes.size(); ++a) {
    const double amp = std::sqrt(weights[a] / static_cast<double>(profile.sizes[a]));
    for (Eigen::Index i = 0; i < profile.sizes[a]; ++i) phi(j++) = amp * rng.rademacher();
  }
  return phi;
}

}  // namespace batchrmt::simulate
