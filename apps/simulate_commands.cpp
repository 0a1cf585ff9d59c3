// `batchrmt simulate ...`: Monte-Carlo simulation of the random-matrix models of docs/theory.md,
// measured, summarised with standard errors, and stored in HDF5 beside the theory layer's
// prediction. Under `mpirun -np R` units are split across ranks (rank 0 writes and prints).
// The options the subcommands share are in apps/simulate_cli.hpp; batch-hessian is in
// apps/simulate_commands_batch.cpp.
#include <cmath>

#include "apps/command_registry.hpp"
#include "apps/number_checks.hpp"
#include "apps/runtime.hpp"
#include "apps/simulate_cli.hpp"
#include "apps/subcommand.hpp"
#include "core/checks.hpp"
#include "core/system.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"

namespace {

using batchrmt::InvalidInput;
using batchrmt::app::GlobalOptions;
using batchrmt::app::ListOption;
using batchrmt::app::add_list;
using namespace batchrmt::app::simulate_cli;
namespace sim = batchrmt::simulate;
namespace theory = batchrmt::theory;
namespace outputs = batchrmt::outputs;

// ------------------------------------------------------------------ spiked-wigner

struct WignerOptions : CommonOptions {
  std::int64_t n = 0;
  double theta = 0.0, sigma = 1.0;
  SamplerOptions sampler;
  std::string entries = "gaussian", truncate = "none";
};

// The edge truncation size K of the tridiagonal model (0: none), checked against n.
Eigen::Index truncation(const WignerOptions& o) {
  Eigen::Index K = 0;
  if (o.truncate == "auto") K = sim::edge_truncation_size(o.n);
  else if (o.truncate != "none") K = batchrmt::app::parse_int_list("--truncate", o.truncate).at(0);
  batchrmt::check_bounded<Eigen::Index>("simulate spiked-wigner", "--truncate", K, 0, static_cast<Eigen::Index>(o.n));
  return K;
}

sim::UnitSpec wigner_unit(const WignerOptions& o, Eigen::Index K) {
  const auto law = sim::parse_entry_law(o.entries);
  sim::UnitSpec u;
  u.path = "/spiked_wigner/" + o.sampler.method + "/n=" + std::to_string(o.n) + "/theta=" + number(o.theta);
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"n", o.n}, {"theta", o.theta}, {"sigma", o.sigma}, {"beta", o.sampler.beta},
                  {"method", o.sampler.method}, {"entries", o.entries}, {"truncation", static_cast<std::int64_t>(K)}};
  if (o.sampler.method == "dense") {
    u.trial = [o, law](std::int64_t, batchrmt::RandomStream& rng) {
      const std::vector<double> spikes = o.theta != 0.0 ? std::vector<double>{o.theta} : std::vector<double>{};
      Eigen::MatrixXd h = sim::sample_spiked_wigner(o.n, o.sigma, spikes, rng, law);
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
      return std::vector<double>{ev(ev.size() - 1), ev(0)};
    };
  } else {
    u.trial = [o, K](std::int64_t, batchrmt::RandomStream& rng) {
      const auto t = sim::sample_beta_hermite(o.n, o.sampler.beta, o.sigma, o.theta, rng, K);
      const auto e = sim::extreme_eigenvalues(t);  // one generation, both ends
      return std::vector<double>{e.top, e.bottom};
    };
  }
  return u;
}

void run_spiked_wigner(const GlobalOptions& global, const WignerOptions& o) {
  Eigen::Index K = 0;
  if (o.sampler.method == "tridiagonal") {
    if (o.entries != "gaussian")
      throw InvalidInput("--entries is " + o.entries + ", but the tridiagonal model is exact only for gaussian entries.");
    check_sampler(o.sampler);
    K = truncation(o);
    batchrmt::check_memory_budget("a tridiagonal model of size " + std::to_string(o.n), 24.0 * static_cast<double>(K ? K : o.n));
  } else {
    check_sampler(o.sampler);
    batchrmt::check_memory_budget("a dense " + std::to_string(o.n) + " x " + std::to_string(o.n) + " matrix",
                                  3.0 * 8.0 * static_cast<double>(o.n) * static_cast<double>(o.n));
  }
  sim::UnitSpec u = wigner_unit(o, K);
  const auto pred = theory::spiked_wigner(o.theta, o.sigma);
  const double pred_top = o.theta >= 0 ? pred.extreme : 2.0 * o.sigma;
  const double pred_bottom = o.theta < 0 ? pred.extreme : -2.0 * o.sigma;
  u.annotate = [pred, pred_top, pred_bottom](const outputs::Group& g) {
    g.set_attribute("predicted_top", pred_top);
    g.set_attribute("predicted_bottom", pred_bottom);
    g.set_attribute("predicted_regime", std::string(theory::to_string(pred.regime)));
  };
  const auto results = run(global, o, {u}, "simulate spiked-wigner");
  if (results.empty()) return;  // not the writing rank
  const auto& r = results.front();
  json j = measured_json(global, o, r);
  j.update({{"method", o.sampler.method}, {"n", o.n}, {"theta", o.theta}, {"sigma", o.sigma}, {"truncation", K},
            {"prediction", {{"top", pred_top}, {"bottom", pred_bottom}, {"regime", theory::to_string(pred.regime)},
                            {"outlier", nullable(pred.outlier)}}}});
  if (pred.outlier) j["prediction"]["outlier_sd"] = theory::spiked_wigner_outlier_sd(pred, static_cast<double>(o.n));
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "spiked Wigner, n = " << o.n << ", theta = " << o.theta << ", sigma = " << o.sigma << ", " << o.trials
       << " trials (" << o.sampler.method << ")\n";
    write_measured(os, r, "top");
    os << "   theory " << pred_top << " (" << theory::to_string(pred.regime) << ")\n";
    write_measured(os, r, "bottom");
    os << "   theory " << pred_bottom << "\n";
  });
}

void bind_spiked_wigner(CLI::App* sub, WignerOptions& o) {
  sub->description("Spiked GOE: W + theta v v^T (theta 0 = plain GOE); top and bottom eigenvalues");
  batchrmt::app::must_be_at_least(sub->add_option("--n", o.n, "Matrix size")->required(), 2);
  sub->add_option("--theta", o.theta, "Spike (0: plain GOE)")->capture_default_str();
  batchrmt::app::must_be_positive(sub->add_option("--sigma", o.sigma, "Scale: semicircle on [-2 sigma, 2 sigma]")->capture_default_str());
  add_sampler(sub, o.sampler, "tridiagonal", "dense (LAPACK dsyevd) | tridiagonal (Dumitriu-Edelman + Sturm bisection)");
  sub->add_option("--truncate", o.truncate, "Tridiagonal edge truncation: none | auto (10 n^{1/3}) | K")->capture_default_str();
  add_entries(sub, o.entries);
  add_common(sub, o, 1);  // 1: one matrix, standard error null
}

// ------------------------------------------------------------------ spiked-covariance

struct CovarianceOptions : CommonOptions {
  std::int64_t p = 0, n = 0;
  double ell = 1.0, sigma2 = 1.0;
  SamplerOptions sampler;
};

sim::UnitSpec covariance_unit(const CovarianceOptions& o, double gamma) {
  sim::UnitSpec u;
  u.path = "/spiked_covariance/" + o.sampler.method + "/p=" + std::to_string(o.p) + "/n=" + std::to_string(o.n) +
           "/ell=" + number(o.ell);
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"p", o.p}, {"n", o.n}, {"gamma", gamma}, {"ell", o.ell}, {"sigma2", o.sigma2},
                  {"method", o.sampler.method}, {"beta", o.sampler.beta}};
  const bool spiked = o.ell != o.sigma2;
  if (o.sampler.method == "dense") {
    u.trial = [o, spiked](std::int64_t, batchrmt::RandomStream& rng) {
      const std::vector<double> spikes = spiked ? std::vector<double>{o.ell} : std::vector<double>{};
      Eigen::MatrixXd c = sim::sample_spiked_covariance(o.p, o.n, o.sigma2, spikes, rng);
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(c);
      return std::vector<double>{ev(ev.size() - 1), ev(0)};  // bottom: smallest nonzero (Gram when p > n)
    };
  } else {
    u.trial = [o](std::int64_t, batchrmt::RandomStream& rng) {
      const auto t = sim::sample_beta_laguerre(o.p, o.n, o.sampler.beta, o.sigma2, o.ell, rng);
      const auto e = sim::extreme_eigenvalues(t);  // one generation, both ends
      return std::vector<double>{e.top, e.bottom};
    };
  }
  return u;
}

void run_spiked_covariance(const GlobalOptions& global, const CovarianceOptions& o) {
  check_sampler(o.sampler);
  const double gamma = static_cast<double>(o.p) / static_cast<double>(o.n);
  const double dim = static_cast<double>(std::min(o.p, o.n));
  if (o.sampler.method == "dense")
    batchrmt::check_memory_budget("a dense spiked covariance with p = " + std::to_string(o.p) + ", n = " + std::to_string(o.n),
                                  8.0 * (static_cast<double>(o.p) * static_cast<double>(o.n) + 3.0 * dim * dim));
  sim::UnitSpec u = covariance_unit(o, gamma);
  const auto pred = theory::spiked_covariance(o.ell, gamma, o.sigma2);
  u.annotate = [pred](const outputs::Group& g) {
    g.set_attribute("predicted_top", pred.extreme);
    g.set_attribute("predicted_regime", std::string(theory::to_string(pred.regime)));
  };
  const auto results = run(global, o, {u}, "simulate spiked-covariance");
  if (results.empty()) return;
  const auto& r = results.front();
  json j = measured_json(global, o, r);
  j.update({{"method", o.sampler.method}, {"p", o.p}, {"n", o.n}, {"gamma", gamma}, {"ell", o.ell},
            {"prediction", {{"top", pred.extreme}, {"edge", pred.edge}, {"lower_edge", pred.lower_edge},
                            {"regime", theory::to_string(pred.regime)}, {"outlier", nullable(pred.outlier)}}}});
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "spiked covariance, p = " << o.p << ", n = " << o.n << " (gamma = " << gamma << "), ell = " << o.ell << ", "
       << o.trials << " trials (" << o.sampler.method << ")\n";
    write_measured(os, r, "top");
    os << "   theory " << pred.extreme << " (" << theory::to_string(pred.regime) << ")\n";
    write_measured(os, r, "bottom");
    os << "   theory lower edge " << pred.lower_edge << "\n";
  });
}

void bind_spiked_covariance(CLI::App* sub, CovarianceOptions& o) {
  sub->description("Spiked sample covariance XX^T/n, p variables, n samples, Sigma = diag(ell, sigma2, ...)");
  batchrmt::app::must_be_at_least(sub->add_option("--p", o.p, "Variables (dimension)")->required(), 1);
  batchrmt::app::must_be_at_least(sub->add_option("--n", o.n, "Samples")->required(), 2);
  batchrmt::app::must_be_positive(sub->add_option("--ell", o.ell, "Population spike (ell = sigma2: no spike)")->required());
  batchrmt::app::must_be_positive(sub->add_option("--sigma2", o.sigma2, "Bulk population variance")->capture_default_str());
  add_sampler(sub, o.sampler, "bidiagonal", "dense | bidiagonal (Dumitriu-Edelman beta-Laguerre)");
  add_common(sub, o, 1);
}

// ------------------------------------------------------------------ variance-profile

struct ProfileOptions : CommonOptions {
  ProfileLists profile{"--block-sizes", "--block-variances", {}, {}};
  ListOption<double> weights;
  double theta = 0.0;
  std::string entries = "gaussian";
};

// The spike's block masses: --spike-weights, or n_a / n; non-negative, summing to 1.
std::vector<double> spike_weights(const ProfileOptions& o, const sim::BlockProfile& profile) {
  std::vector<double> weights = o.weights.values;
  if (!o.weights.given())
    for (auto s : profile.sizes) weights.push_back(static_cast<double>(s) / static_cast<double>(profile.dimension()));
  const char* f = "simulate variance-profile";
  batchrmt::check_size_match(f, "--spike-weights", weights.size(), "--block-sizes", profile.sizes.size());
  double wsum = 0;
  for (double w : weights) {
    batchrmt::check_nonnegative(f, "--spike-weights", w);
    wsum += w;
  }
  if (std::abs(wsum - 1.0) > 1e-9) throw InvalidInput("--spike-weights sum to " + number(wsum) + ", but must sum to 1.");
  return weights;
}

sim::UnitSpec profile_unit(const ProfileOptions& o, const sim::BlockProfile& profile, const std::vector<double>& weights) {
  const Eigen::Index n = profile.dimension();
  sim::UnitSpec u;
  u.path = "/variance_profile/n=" + std::to_string(n) + "/theta=" + number(o.theta) + "/sizes=" + o.profile.sizes.text +
           "/variances=" + o.profile.variances.text;
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"block_sizes", o.profile.sizes.text}, {"block_variances", o.profile.variances.text},
                  {"theta", o.theta}, {"entries", o.entries}};
  u.trial = [profile, weights, theta = o.theta, law = sim::parse_entry_law(o.entries)](std::int64_t,
                                                                                      batchrmt::RandomStream& rng) {
    Eigen::MatrixXd h = sim::sample_profile_wigner(profile, rng, law);
    if (theta != 0.0) {
      const Eigen::VectorXd phi = sim::block_spike_vector(profile, weights, rng);
      h.noalias() += theta * phi * phi.transpose();
    }
    const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
    return std::vector<double>{ev(ev.size() - 1), ev(0)};
  };
  return u;
}

void run_variance_profile(const GlobalOptions& global, const ProfileOptions& o) {
  const auto profile = block_profile(o.profile);
  const auto weights = spike_weights(o, profile);
  const Eigen::Index n = profile.dimension();
  batchrmt::check_at_least<Eigen::Index>("simulate variance-profile", "the dimension (sum of --block-sizes)", n, 2);
  batchrmt::check_memory_budget("a dense " + std::to_string(n) + " x " + std::to_string(n) + " profile matrix",
                                3.0 * 8.0 * static_cast<double>(n) * static_cast<double>(n));
  sim::UnitSpec u = profile_unit(o, profile, weights);
  Eigen::VectorXd sizes(static_cast<Eigen::Index>(profile.sizes.size()));
  for (std::size_t a = 0; a < profile.sizes.size(); ++a) sizes(static_cast<Eigen::Index>(a)) = static_cast<double>(profile.sizes[a]);
  const theory::QveSolver solver(theory::QveProfile::block(sizes, profile.variances));
  const auto& edge = solver.edge();
  const Eigen::VectorXd w = Eigen::Map<const Eigen::VectorXd>(weights.data(), static_cast<Eigen::Index>(weights.size()));
  std::optional<theory::QveOutlier> out;
  if (o.theta != 0.0) out = solver.outlier(o.theta, w);
  const double pred_top = (out && o.theta > 0 && out->outlier) ? *out->outlier : edge.upper;
  const double pred_bottom = (out && o.theta < 0 && out->outlier) ? *out->outlier : edge.lower;
  u.annotate = [pred_top, pred_bottom](const outputs::Group& g) {
    g.set_attribute("predicted_top", pred_top);
    g.set_attribute("predicted_bottom", pred_bottom);
  };
  const auto results = run(global, o, {u}, "simulate variance-profile");
  if (results.empty()) return;
  const auto& r = results.front();
  // Homogeneous comparison: a Wigner matrix with the same mean entry variance.
  const double mean_var = profile.block_row_sums().dot(sizes) / (static_cast<double>(n) * static_cast<double>(n));
  const auto homogeneous = theory::spiked_wigner(o.theta, std::sqrt(mean_var * static_cast<double>(n)));
  const double homogeneous_top = o.theta > 0 ? homogeneous.extreme : homogeneous.edge;
  json j = measured_json(global, o, r);
  j.update({{"method", "dense"}, {"n", n}, {"theta", o.theta},
            {"prediction", {{"top", pred_top}, {"bottom", pred_bottom}, {"edge_upper", edge.upper},
                            {"edge_lower", edge.lower}, {"outlier", out ? nullable(out->outlier) : json(nullptr)},
                            {"threshold", out ? json(out->threshold) : json(nullptr)}}},
            {"homogeneous_prediction", {{"top", homogeneous_top}, {"mean_entry_variance", mean_var}}}});
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "variance profile, n = " << n << ", theta = " << o.theta << ", " << o.trials << " trials\n";
    write_measured(os, r, "top");
    os << "   QVE " << pred_top << "   homogeneous " << homogeneous_top << "\n";
    write_measured(os, r, "bottom");
    os << "   QVE " << pred_bottom << "\n";
  });
}

void bind_variance_profile(CLI::App* sub, ProfileOptions& o) {
  sub->description("Wigner-type matrix with a block variance profile plus theta phi phi^T");
  add_profile(sub, o.profile, "Variance profile: ", true);
  sub->add_option("--theta", o.theta, "Spike strength")->capture_default_str();
  add_list(sub, "--spike-weights", o.weights, "Block masses of phi, summing to 1 (default n_a / n)");
  add_entries(sub, o.entries);
  add_common(sub, o, 2);
}

// ------------------------------------------------------------------ registration

void register_simulate(CLI::App& app, GlobalOptions& global) {
  auto* simulate = app.add_subcommand("simulate", "Simulate random-matrix models and store per-trial results with theory beside them");
  simulate->require_subcommand(1);
  using batchrmt::app::add_command;
  add_command<WignerOptions>(simulate, global, "spiked-wigner", bind_spiked_wigner, run_spiked_wigner);
  add_command<CovarianceOptions>(simulate, global, "spiked-covariance", bind_spiked_covariance, run_spiked_covariance);
  add_command<ProfileOptions>(simulate, global, "variance-profile", bind_variance_profile, run_variance_profile);
  batch_hessian_cmd(simulate, global);
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(simulate, 30, register_simulate)
