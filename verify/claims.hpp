// Claims of the paper and self-checks of the suite, each an experiment: a prediction from
// theory/, a measurement from simulate/ (or networks/ + spectral/), a comparison with its
// statistics, and a verdict (docs/theory.md §3, §7). Results are plain data; verify/claim_store
// writes them to a unit of the HDF5 store and reads them back for reports.
#pragma once

#include <Eigen/Core>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

struct ClaimResult {
  std::string id;    // "C1".."C8", "V1".."V8"
  std::string name;  // one line
  Verdict verdict = Verdict::not_measured;
  // The headline comparison (the numbers behind the verdict).
  double prediction = std::numeric_limits<double>::quiet_NaN();
  double measurement = std::numeric_limits<double>::quiet_NaN();
  double stderr_ = std::numeric_limits<double>::quiet_NaN();
  double z = std::numeric_limits<double>::quiet_NaN();
  std::string note;  // how the verdict was reached: tolerance, bias budget, regime
  // Data for tables and figures: vectors (one entry per batch size, per trial, ...),
  // matrices (e.g. batch sizes x subsets), scalars and labels.
  std::map<std::string, std::vector<double>> series;
  std::map<std::string, Eigen::MatrixXd> matrices;
  std::map<std::string, double> scalars;
  std::map<std::string, std::string> labels;
  double seconds = 0.0;
};

// A claim that this build cannot measure yet (or whose data are absent), with the reason.
ClaimResult not_measured(const std::string& id, const std::string& name, const std::string& reason);

// A network claim in a build without LibTorch: not measured, "no networks to <what>".
ClaimResult without_libtorch(const std::string& id, const std::string& name, const std::string& what);

// An empty result of claim `id` named `name`, to be measured.
ClaimResult named_claim(const std::string& id, const std::string& name);

// A claim's wall time: seconds_since(start) with start = Clock::now() when it began.
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);

// ---- simulated claims (configs/default.toml sections [c1] ... [c4], [v1], [v3]) ----

// C1: the batch Hessian's top eigenvalue rises and its bottom eigenvalue falls as B shrinks
// (per-sample pool, additive model).
ClaimResult claim_extremes_grow(const Config& config, std::uint64_t seed);
// C2: shift linear in kappa_B above the BBP threshold (log-log exponent 1, slope P s^2/lambda),
// edge ∝ kappa_B^{1/2} below it (exponent 1/2), and the threshold crossing located.
ClaimResult claim_shift_scaling(const Config& config, std::uint64_t seed);
// C3: a variance profile's outlier and edge match the QVE prediction; the homogeneous
// prediction with the same mean variance is measurably worse.
ClaimResult claim_field_dependence(const Config& config, std::uint64_t seed);
// C4: the GGN analogue: batch GGN pools (spiked covariance) against the multiplicative model.
ClaimResult claim_ggn_analogue(const Config& config, std::uint64_t seed);

// V1: E tr W^2 = sigma^2 (n+1) for the dense GOE sampler.
ClaimResult check_goe_trace(const Config& config, std::uint64_t seed);
// V2: bulk density — SLQ density and moments of a GOE matrix against the semicircle.
ClaimResult check_slq_semicircle(const Config& config, std::uint64_t seed);
// V3: Tracy–Widom mean and variance of the rescaled top eigenvalue (tridiagonal GOE).
ClaimResult check_tracy_widom(const Config& config, std::uint64_t seed);

}  // namespace batchrmt::verify
