// `batchrmt theory ...`: the analytic predictions of theory/ from the command line.
// With --json each subcommand prints exactly one JSON object (keys documented per subcommand);
// otherwise a readable table. Bad input throws batchrmt::InvalidInput (exit 2). The batch
// subcommands (batch-hessian, ggn, lr) are in apps/theory_commands_batch.cpp.
#include "apps/list_options.hpp"
#include "apps/number_checks.hpp"
#include "apps/runtime.hpp"
#include "apps/subcommand.hpp"
#include "apps/theory_cli.hpp"
#include "core/errors.hpp"
#include "theory/learning_rates.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"
#include "theory/tracy_widom.hpp"

namespace {

using batchrmt::InvalidInput;
using namespace batchrmt::app::theory_cli;
namespace th = batchrmt::theory;
using batchrmt::app::GlobalOptions;
using batchrmt::app::ListOption;

// regime, outlier, threshold, edge and overlap of a spiked model (docs/theory.md 2.3, 2.6).
template <typename Prediction>
std::vector<Field> spiked_fields(const Prediction& p) {
  return {field("regime", "regime", std::string(th::to_string(p.regime))), field("outlier", "outlier", p.outlier),
          field("threshold", "threshold", p.threshold), field("edge", "edge", p.edge),
          field("overlap", "overlap", p.overlap)};
}

// --beta, the Dyson index 1 (real) or 2 (complex); `required` or defaulting to 1.
CLI::Option* add_dyson_index(CLI::App* sub, int& beta, bool required) {
  auto* o = sub->add_option("--beta", beta, "Dyson index 1 (real) or 2 (complex)");
  if (required) o->required();
  else o->capture_default_str();
  return batchrmt::app::must_be_one_of(o, {"1", "2"});
}

// What both spiked models take besides their parameters: the finite size that adds the
// outlier's standard deviation (--n or --m) and the Dyson index; and the JSON keys they report.
struct SpikedModelOptions {
  std::optional<double> size;
  int beta = 1;
};

void add_spiked_model_options(CLI::App* sub, SpikedModelOptions& o, const std::string& about,
                              const std::string& size_flag, const std::string& size_help) {
  sub->add_option(size_flag, o.size, size_help + ": adds the outlier standard deviation");
  add_dyson_index(sub, o.beta, false);
  sub->description(about + " JSON keys: outlier (null below threshold), threshold, edge, overlap, regime, outlier_sd (with " +
                   size_flag + ")");
}

struct SpikedWignerArgs {
  double theta = 0.0, sigma = 0.0;
  SpikedModelOptions model;
};

void run_spiked_wigner(const GlobalOptions& global, const SpikedWignerArgs& a) {
  const auto p = th::spiked_wigner(a.theta, a.sigma, a.model.beta);
  auto fields = spiked_fields(p);
  if (a.model.size) {
    const double sd = th::spiked_wigner_outlier_sd(p, *a.model.size);
    fields.push_back(field("outlier_sd", "outlier sd", p.outlier ? std::optional<double>(sd) : std::nullopt));
  }
  emit_fields(global, {{"theta", a.theta}, {"sigma", a.sigma}, {"extreme", p.extreme}, {"beta", a.model.beta}},
              "spiked Wigner  theta = " + fmt(a.theta) + ", sigma = " + fmt(a.sigma), 11, fields);
}

void bind_spiked_wigner(CLI::App* sub, SpikedWignerArgs& a) {
  sub->add_option("--theta", a.theta, "Spike strength theta (either sign)")->required();
  sub->add_option("--sigma", a.sigma, "Semicircle scale sigma > 0")->required();
  add_spiked_model_options(
      sub, a.model,
      "BBP transition of W + theta v v^T, W Wigner with semicircle on [-2 sigma, 2 sigma] (docs/theory.md 2.3).",
      "--n", "Matrix dimension n");
}

struct SpikedCovarianceArgs {
  double ell = 0.0, gamma = 0.0, sigma2 = 1.0;
  SpikedModelOptions model;
};

void run_spiked_covariance(const GlobalOptions& global, const SpikedCovarianceArgs& a) {
  const auto p = th::spiked_covariance(a.ell, a.gamma, a.sigma2, a.model.beta);
  const auto fields = spiked_fields(p);
  json j{{"ell", a.ell}, {"gamma", a.gamma}, {"sigma2", a.sigma2}, {"lower_edge", p.lower_edge}, {"extreme", p.extreme}};
  if (a.model.size)
    j["outlier_sd"] = p.outlier ? json(th::spiked_covariance_outlier_sd(p, *a.model.size)) : json(nullptr);
  emit_fields(global, j,
              "spiked covariance  ell = " + fmt(a.ell) + ", gamma = " + fmt(a.gamma) + ", sigma2 = " + fmt(a.sigma2), 11,
              fields);
}

void bind_spiked_covariance(CLI::App* sub, SpikedCovarianceArgs& a) {
  sub->add_option("--ell", a.ell, "Population spike eigenvalue ell > 0")->required();
  sub->add_option("--gamma", a.gamma, "Ratio gamma = dimension / samples > 0")->required();
  sub->add_option("--sigma2", a.sigma2, "Bulk population variance sigma^2 > 0")->capture_default_str();
  add_spiked_model_options(
      sub, a.model, "Spiked sample covariance, Sigma = sigma2 I + (ell - sigma2) u u^T, gamma = n/m (docs/theory.md 2.6).",
      "--m", "Number of samples m");
}

struct QveArgs {
  ListOption<double> sizes, variances, weights, grid;
  std::optional<double> theta;
};

// The block profile of --block-sizes and --block-variances (K x K, row-major).
th::QveProfile block_profile(const QveArgs& a) {
  const std::size_t K = a.sizes.values.size();
  if (a.variances.values.size() != K * K)
    throw InvalidInput("--block-variances has " + std::to_string(a.variances.values.size()) +
                       " values, but must have K*K = " + std::to_string(K * K) + " for " + std::to_string(K) +
                       " blocks.");
  const Eigen::Index k = static_cast<Eigen::Index>(K);
  const Eigen::VectorXd n = Eigen::Map<const Eigen::VectorXd>(a.sizes.values.data(), k);
  const Eigen::MatrixXd v = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      a.variances.values.data(), k, k);
  return th::QveProfile::block(n, v);
}

json iteration_counts(std::initializer_list<std::pair<const char*, long>> counts, long& total) {
  json j;
  for (const auto& [name, count] : counts) {
    j[name] = count;
    total += count;
  }
  return j;
}

void run_qve(const GlobalOptions& global, const QveArgs& a) {
  const std::size_t K = a.sizes.values.size();
  auto profile = block_profile(a);
  if (a.theta.has_value() != a.weights.given()) throw InvalidInput("--theta and --spike-weights must be given together.");
  th::QveSolver solver(std::move(profile));
  const th::QveEdge& e = solver.edge();
  long iterations = 0;
  json detail{{"edge", iteration_counts({{"bisection", e.bisection_iterations}, {"fixed_point", e.fixed_point_iterations},
                                         {"newton", e.newton_iterations}, {"krylov", e.krylov_iterations},
                                         {"lanczos", e.lanczos_iterations}, {"root", e.root_iterations}},
                                        iterations)}};
  json j{{"edge_upper", e.upper}, {"edge_lower", e.lower}, {"edge_constant", e.edge_constant},
         {"stability_radius", e.stability_radius}, {"edge_method", e.method}, {"outlier", nullptr}};
  std::optional<th::QveOutlier> o;
  if (a.theta) {
    if (a.weights.values.size() != K)
      throw InvalidInput("--spike-weights has " + std::to_string(a.weights.values.size()) +
                         " values, but must have one per block (" + std::to_string(K) + ").");
    o = solver.outlier(*a.theta, Eigen::Map<const Eigen::VectorXd>(a.weights.values.data(), static_cast<Eigen::Index>(K)));
    j.update({{"outlier", nullable(o->outlier)}, {"threshold", o->threshold}, {"first_order", o->first_order},
              {"regime", th::to_string(o->regime)}});
    detail["outlier"] = iteration_counts({{"root", o->root_iterations}, {"fixed_point", o->fixed_point_iterations},
                                          {"newton", o->newton_iterations}, {"krylov", o->krylov_iterations}},
                                         iterations);
  }
  j["iterations"] = iterations;
  j["iterations_detail"] = detail;
  const std::vector<double>& grid = a.grid.values;
  const std::vector<double> dens = a.grid.given() ? solver.density(grid) : std::vector<double>{};
  if (a.grid.given()) j["density"] = {{"E", grid}, {"rho", dens}};
  std::vector<Field> fields{{"", "edges", nullptr, "[" + fmt(e.lower) + ", " + fmt(e.upper) + "]  (" + e.method +
                                                       ", spr at edge " + fmt(e.stability_radius) + ")"},
                            field("edge_constant", "edge const", e.edge_constant)};
  if (o)
    fields.push_back({"", "outlier", nullptr, fmt(o->outlier) + "  (" + th::to_string(o->regime) + ", threshold " +
                                                  fmt(o->threshold) + ", first order " + fmt(o->first_order) + ")"});
  fields.push_back({"", "iterations", nullptr, std::to_string(iterations)});
  emit_fields(global, j, "QVE block profile, K = " + std::to_string(K), 12, fields, [&](std::ostream& os) {
    for (std::size_t i = 0; i < grid.size(); ++i) os << "  rho(" << fmt(grid[i]) << ") = " << fmt(dens[i]) << "\n";
  });
}

void bind_qve(CLI::App* sub, QveArgs& a) {
  add_list(sub, "--block-sizes", a.sizes, "Block sizes n_1,...,n_K (> 0; fractions allowed)")->required();
  add_list(sub, "--block-variances", a.variances, "Entry variances s_ab, K x K row-major, symmetric, >= 0")->required();
  sub->add_option("--theta", a.theta, "Spike strength lambda of lambda phi phi^T (needs --spike-weights)");
  add_list(sub, "--spike-weights", a.weights, "Block masses w_a = sum_{j in a} phi_j^2, summing to 1");
  add_list(sub, "--density-grid", a.grid, "Also print the density at the comma-separated points");
  sub->description(
      "Block variance profile: edges and the outlier of a rank-one spike from the quadratic vector equation "
      "(docs/theory.md 2.5). JSON keys: edge_upper, edge_lower, outlier (null if none), iterations");
}

struct TracyWidomArgs {
  int beta = 0;
  ListOption<double> cdf;
};

void run_tracy_widom(const GlobalOptions& global, const TracyWidomArgs& a) {
  const auto m = th::tracy_widom_moments(a.beta);
  const std::vector<Field> fields{field("mean", "mean", m.mean), field("variance", "variance", m.variance),
                                  field("skewness", "skewness", m.skewness),
                                  field("excess_kurtosis", "ex. kurt.", m.excess_kurtosis)};
  json q = json::object();
  const char* keys[] = {"0.01", "0.05", "0.5", "0.95", "0.99"};
  const double ps[] = {0.01, 0.05, 0.5, 0.95, 0.99};
  for (int i = 0; i < 5; ++i) q[keys[i]] = th::tracy_widom_quantile(a.beta, ps[i]);
  json j{{"beta", a.beta}, {"quantiles", q}};
  if (a.cdf.given()) {
    json c = json::array();
    for (double x : a.cdf.values) c.push_back({{"s", x}, {"F", th::tracy_widom_cdf(a.beta, x)}});
    j["cdf"] = c;
  }
  emit_fields(global, j, "Tracy-Widom beta = " + std::to_string(a.beta), 10, fields, [&](std::ostream& os) {
    for (int i = 0; i < 5; ++i) os << "  q(" << keys[i] << ") = " << fmt(q[keys[i]].get<double>()) << "\n";
    for (double x : a.cdf.values) os << "  F(" << fmt(x) << ") = " << fmt(th::tracy_widom_cdf(a.beta, x)) << "\n";
  });
}

void bind_tracy_widom(CLI::App* sub, TracyWidomArgs& a) {
  add_dyson_index(sub, a.beta, true);
  add_list(sub, "--cdf", a.cdf, "Also evaluate F_beta at these comma-separated points");
  sub->description(
      "Tracy-Widom F_beta by Bornemann's method (docs/theory.md 2.4). JSON keys: mean, variance, "
      "quantiles (keyed by probability 0.01, 0.05, 0.5, 0.95, 0.99), skewness, excess_kurtosis");
}

struct HeavyBallArgs {
  double lambda_max = 0.0, lambda_min = 0.0;
  std::string formula = "polyak";
};

void run_heavy_ball(const GlobalOptions& global, const HeavyBallArgs& a) {
  const auto h = th::heavy_ball_optimal(a.lambda_max, a.lambda_min,
                                        a.formula == "code" ? th::MomentumFormula::Code : th::MomentumFormula::Polyak);
  const std::vector<Field> fields{field("lr", "lr", h.lr), field("momentum", "momentum", h.momentum),
                                  field("rate", "rate", h.rate),
                                  {"gd_lr", "GD lr", h.gd_lr, fmt(h.gd_lr) + "  (rate " + fmt(h.gd_rate) + ")"}};
  emit_fields(global,
              {{"lambda_max", a.lambda_max}, {"lambda_min", a.lambda_min}, {"condition", h.condition},
               {"gd_rate", h.gd_rate}, {"momentum_formula", h.momentum_formula}},
              "heavy ball (" + h.momentum_formula + ")  condition " + fmt(h.condition), 10, fields);
}

void bind_heavy_ball(CLI::App* sub, HeavyBallArgs& a) {
  sub->add_option("--lambda-max", a.lambda_max, "Largest curvature L > 0")->required();
  sub->add_option("--lambda-min", a.lambda_min, "Smallest curvature mu, 0 < mu <= L")->required();
  const char* help = "polyak (default) or code (the authors' SSGDM variant, docs/theory.md 6.4)";
  batchrmt::app::must_be_one_of(sub->add_option("--momentum-formula", a.formula, help), {"polyak", "code"});
  sub->description(
      "Optimal constant step and momentum for curvature in [lambda_min, lambda_max] (Polyak 1964; "
      "docs/theory.md 2.7). JSON keys: lr, momentum, rate, gd_lr, gd_rate, condition, momentum_formula");
}

void register_theory(CLI::App& app, GlobalOptions& global) {
  using batchrmt::app::add_command;
  auto* theory = app.add_subcommand("theory", "Analytic predictions: spiked models, batch Hessian, QVE, "
                                              "Tracy-Widom, learning-rate rules (docs/theory.md 2, 3)");
  theory->require_subcommand(1);
  add_command<SpikedWignerArgs>(theory, global, "spiked-wigner", bind_spiked_wigner, run_spiked_wigner);
  add_command<SpikedCovarianceArgs>(theory, global, "spiked-covariance", bind_spiked_covariance, run_spiked_covariance);
  batch_hessian_cmd(theory, global);
  ggn_cmd(theory, global);
  add_command<QveArgs>(theory, global, "qve", bind_qve, run_qve);
  add_command<TracyWidomArgs>(theory, global, "tracy-widom", bind_tracy_widom, run_tracy_widom);
  lr_cmd(theory, global);
  add_command<HeavyBallArgs>(theory, global, "heavy-ball", bind_heavy_ball, run_heavy_ball);
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(theory, 20, register_theory)
