// The per-sample pool: the batch-Hessian model as it really arises (docs/theory.md 1.1-1.2, 4.6).
//
// A pool of N per-sample P x P curvature matrices h_i, their empirical mean H_emp, and batch
// means H_B over B samples drawn without replacement. Two kinds:
//   hessian (additive):        h_i = H_true + X_i, H_true = sum_a lambda_a v_a v_a^T with Haar
//                              random orthonormal v_a, X_i symmetric with independent centred
//                              entries of variance s2 (off-diagonal; 2 s2 on the diagonal, GOE)
//                              or a block variance profile s_ab (field-dependent noise);
//   ggn (multiplicative):      h_i = sum_{c=1..C} g_ic g_ic^T, g_ic ~ N(0, Sigma / C),
//                              Sigma = sigma2 I + sum_a (ell_a - sigma2) e_a e_a^T (rank <= C each).
// The N matrices are never stored: sample i is regenerated from RandomStream(seed,
// sample_stream(i)) whenever it is needed (a factored form of the pool), so memory is O(P^2)
// whatever N is, and a sample is the same matrix in every batch that contains it.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <optional>
#include <vector>

#include "simulate/ensembles.hpp"

namespace batchrmt::simulate {

enum class Curvature { hessian, ggn };
Curvature parse_curvature(const std::string& name);  // "hessian" | "ggn"
std::string to_string(Curvature c);

struct PoolSpec {
  Curvature curvature = Curvature::hessian;
  Eigen::Index P = 0;        // dimension (number of parameters)
  std::int64_t N = 0;        // pool size
  std::vector<double> spikes;  // hessian: lambda_a of H_true (either sign); ggn: ell_a of Sigma (> 0)
  double s2 = 1.0;           // hessian: per-sample entry variance (ignored when `profile` is set)
  std::optional<BlockProfile> profile;  // hessian: field-dependent per-sample noise
  std::int64_t C = 1;        // ggn: outer products per sample (C_eff)
  double sigma2 = 1.0;       // ggn: bulk variance of Sigma
  EntryLaw law = EntryLaw::gaussian;

  void validate(const char* function) const;
  // Bytes of the dense P x P work matrices a batch measurement keeps alive (about 4 of them).
  double working_bytes() const;
};

class SamplePool {
 public:
  SamplePool(PoolSpec spec, std::uint64_t seed);

  const PoolSpec& spec() const noexcept { return spec_; }
  std::uint64_t seed() const noexcept { return seed_; }
  // Stream of sample i: ("pool" << 32) | i. Spike vectors use the stream ("spke" << 32).
  static std::uint64_t sample_stream(std::int64_t i);
  static std::uint64_t spike_stream();

  // H_true (hessian) or Sigma (ggn), P x P.
  const Eigen::MatrixXd& population_mean() const noexcept { return mean_; }
  const Eigen::MatrixXd& spike_vectors() const noexcept { return vectors_; }  // P x r (hessian)
  // H_emp = (1/N) sum_i h_i, computed once on first use: O(N P^2) work, O(P^2) memory.
  const Eigen::MatrixXd& empirical() const;
  // H_B = (1/B) sum_{i in indices} h_i.
  Eigen::MatrixXd batch_mean(const std::vector<std::size_t>& indices) const;
  // ggn only: the P x (|indices| C) factor F with H_B = F F^T / |indices|.
  Eigen::MatrixXd ggn_factor(const std::vector<std::size_t>& indices) const;
  // F = (1/N) sum_i ||h_i - H_emp||_F^2, the population Frobenius variance (docs/theory.md 1.2), so
  // that E ||H_B - H_emp||_F^2 = kappa_B F exactly. Computed once with H_emp: O(N P^2).
  double frobenius_variance() const;
  // Keeps every X_i's upper triangle in memory when N P (P+1)/2 doubles fit in `max_bytes`
  // (hessian pools), so batches sum stored entries instead of redrawing them. The numbers
  // are identical either way (same streams, same order). Returns whether the cache is on.
  bool cache_samples(double max_bytes);
  // The per-sample matrix h_i itself (for tests and small pools).
  Eigen::MatrixXd sample(std::int64_t i) const;

 private:
  void add_noise(std::int64_t i, Eigen::MatrixXd& acc, double weight) const;  // acc += weight X_i (hessian)
  void fill_ggn_columns(std::int64_t i, Eigen::Ref<Eigen::MatrixXd> cols) const;  // P x C block of g_ic
  PoolSpec spec_;
  std::uint64_t seed_;
  Eigen::MatrixXd mean_;
  Eigen::MatrixXd vectors_;
  mutable std::optional<Eigen::MatrixXd> empirical_;
  mutable std::optional<double> frobenius_variance_;
  std::vector<double> cache_;  // N x P(P+1)/2, row i = upper triangle of X_i in draw order
};

}  // namespace batchrmt::simulate
