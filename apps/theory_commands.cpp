// `batchrmt theory ...`: the analytic predictions of theory/ from the command line.
// With --json each subcommand prints exactly one JSON object (keys documented per subcommand);
// otherwise a readable table. Bad input throws batchrmt::InvalidInput (exit 2).
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "apps/runtime.hpp"
#include "core/errors.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"
#include "theory/tracy_widom.hpp"

namespace {

using batchrmt::InvalidInput;
using nlohmann::json;
namespace th = batchrmt::theory;

// ------------------------------------------------------------------ parsing helpers
double parse_number(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  while (used < text.size() && std::isspace(static_cast<unsigned char>(text[used]))) ++used;
  if (text.empty() || used != text.size() || !std::isfinite(v))
    throw InvalidInput(option + " has the value '" + text + "', but must be a finite number.");
  return v;
}

std::int64_t to_count(const std::string& option, double v) {
  if (v != std::floor(v) || std::abs(v) > 9e15)
    throw InvalidInput(option + " has the value " + std::to_string(v) + ", but must be a whole number.");
  return static_cast<std::int64_t>(v);
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string fmt(double v) {
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}
std::string fmt(const std::optional<double>& v) { return v ? fmt(*v) : std::string("none"); }

// ------------------------------------------------------------------ subcommands
struct Strs {
  std::map<std::string, std::string> v;
  std::string& operator[](const std::string& k) { return v[k]; }
  bool has(const std::string& k) const { return v.count(k) && !v.at(k).empty(); }
  const std::string& at(const std::string& k) const { return v.at(k); }
};

void add(CLI::App* sub, const std::shared_ptr<Strs>& s, const std::string& flag, const std::string& help,
         bool required = false) {
  std::string key = flag;
  while (!key.empty() && key[0] == '-') key.erase(0, 1);
  (*s)[key] = "";
  auto* o = sub->add_option(flag, (*s)[key], help);
  if (required) o->required();
}

void spiked_wigner_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "spiked-wigner",
      "BBP transition of W + theta v v^T, W Wigner with semicircle on [-2 sigma, 2 sigma] (docs/theory.md 2.3). "
      "JSON keys: outlier (null below threshold), threshold, edge, overlap, regime, outlier_sd (with --n)");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--theta", "Spike strength theta (either sign)", true);
  add(sub, s, "--sigma", "Semicircle scale sigma > 0", true);
  add(sub, s, "--n", "Matrix dimension n: adds the outlier standard deviation at finite n");
  add(sub, s, "--beta", "Dyson index 1 (real) or 2 (complex); default 1");
  sub->callback([s, &global] {
    const double theta = parse_number("--theta", s->at("theta"));
    const double sigma = parse_number("--sigma", s->at("sigma"));
    const int beta = s->has("beta") ? static_cast<int>(to_count("--beta", parse_number("--beta", s->at("beta")))) : 1;
    const auto p = th::spiked_wigner(theta, sigma, beta);
    json j{{"theta", theta},       {"sigma", sigma},         {"outlier", opt(p.outlier)},
           {"threshold", p.threshold}, {"edge", p.edge},      {"overlap", p.overlap},
           {"regime", th::to_string(p.regime)}, {"extreme", p.extreme}, {"beta", beta}};
    std::optional<double> sd;
    if (s->has("n")) {
      sd = th::spiked_wigner_outlier_sd(p, parse_number("--n", s->at("n")));
      j["outlier_sd"] = p.outlier ? json(*sd) : json(nullptr);
    }
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "spiked Wigner  theta = " << fmt(theta) << ", sigma = " << fmt(sigma) << "\n"
         << "  regime     " << th::to_string(p.regime) << "\n"
         << "  outlier    " << fmt(p.outlier) << "\n"
         << "  threshold  " << fmt(p.threshold) << "\n"
         << "  edge       " << fmt(p.edge) << "\n"
         << "  overlap    " << fmt(p.overlap) << "\n";
      if (sd) os << "  outlier sd " << (p.outlier ? fmt(*sd) : std::string("none")) << "\n";
    });
  });
}

void spiked_covariance_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "spiked-covariance",
      "Spiked sample covariance, Sigma = sigma2 I + (ell - sigma2) u u^T, gamma = n/m (docs/theory.md 2.6). "
      "JSON keys: outlier (null below threshold), threshold, edge, overlap, regime, outlier_sd (with --m)");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--ell", "Population spike eigenvalue ell > 0", true);
  add(sub, s, "--gamma", "Ratio gamma = dimension / samples > 0", true);
  add(sub, s, "--sigma2", "Bulk population variance sigma^2 > 0; default 1");
  add(sub, s, "--m", "Number of samples m: adds the outlier standard deviation");
  add(sub, s, "--beta", "Dyson index 1 or 2; default 1");
  sub->callback([s, &global] {
    const double ell = parse_number("--ell", s->at("ell"));
    const double gamma = parse_number("--gamma", s->at("gamma"));
    const double sigma2 = s->has("sigma2") ? parse_number("--sigma2", s->at("sigma2")) : 1.0;
    const int beta = s->has("beta") ? static_cast<int>(to_count("--beta", parse_number("--beta", s->at("beta")))) : 1;
    const auto p = th::spiked_covariance(ell, gamma, sigma2, beta);
    json j{{"ell", ell},         {"gamma", gamma},         {"sigma2", sigma2},      {"outlier", opt(p.outlier)},
           {"threshold", p.threshold}, {"edge", p.edge}, {"lower_edge", p.lower_edge}, {"overlap", p.overlap},
           {"regime", th::to_string(p.regime)}, {"extreme", p.extreme}};
    if (s->has("m")) {
      const double sd = th::spiked_covariance_outlier_sd(p, parse_number("--m", s->at("m")));
      j["outlier_sd"] = p.outlier ? json(sd) : json(nullptr);
    }
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "spiked covariance  ell = " << fmt(ell) << ", gamma = " << fmt(gamma) << ", sigma2 = " << fmt(sigma2)
         << "\n  regime     " << th::to_string(p.regime) << "\n  outlier    " << fmt(p.outlier)
         << "\n  threshold  " << fmt(p.threshold) << "\n  edge       " << fmt(p.edge) << "\n  overlap    "
         << fmt(p.overlap) << "\n";
    });
  });
}

std::vector<std::int64_t> parse_batches(const std::string& text) { return batchrmt::app::parse_int_list("--B", text); }

void batch_hessian_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "batch-hessian",
      "Predicted extreme eigenvalues of the batch Hessian per batch size (docs/theory.md 2.3 Theorem A, a "
      "reconstruction). JSON key rows: one object per B with B, kappa, top, bottom, regime, lr_max_sgd");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--lambda", "Spike eigenvalues of H_emp, comma separated (either sign)", true);
  add(sub, s, "--P", "Number of parameters P", true);
  add(sub, s, "--s2", "Per-entry population variance s^2 of the per-sample Hessians", true);
  add(sub, s, "--N", "Pool size N (0: infinite pool, kappa = 1/B)", true);
  add(sub, s, "--B", "Batch sizes, comma separated, 1 <= B <= N", true);
  sub->callback([s, &global] {
    const auto spikes = batchrmt::app::parse_double_list("--lambda", s->at("lambda"));
    const double P = parse_number("--P", s->at("P"));
    const double s2 = parse_number("--s2", s->at("s2"));
    const auto N = to_count("--N", parse_number("--N", s->at("N")));
    if (N < 0) throw InvalidInput("--N is " + std::to_string(N) + ", but must be at least 0.");
    const auto Bs = parse_batches(s->at("B"));
    for (auto B : Bs) {
      if (B < 1) throw InvalidInput("--B contains " + std::to_string(B) + ", but batch sizes must be at least 1.");
      if (N > 0 && B > N)
        throw InvalidInput("--B contains " + std::to_string(B) + ", but batch sizes must not exceed N = " +
                           std::to_string(N) + ".");
    }
    const auto rows = th::batch_hessian_table(spikes, P, s2, N, Bs);
    json jr = json::array();
    for (const auto& r : rows)
      jr.push_back({{"B", r.B},
                    {"kappa", r.kappa},
                    {"omega", r.omega},
                    {"top", r.top},
                    {"bottom", r.bottom},
                    {"regime", th::to_string(r.regime_top)},
                    {"regime_bottom", th::to_string(r.regime_bottom)},
                    {"overlap_top", r.overlap_top},
                    {"top_sd", r.top_sd},
                    {"lr_max_sgd", opt(r.lr_max_sgd)}});
    json j{{"P", P}, {"s2", s2}, {"N", N}, {"lambda", spikes}, {"rows", jr}};
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "batch Hessian (additive model, Theorem A)  P = " << fmt(P) << ", s2 = " << fmt(s2) << ", N = "
         << (N > 0 ? std::to_string(N) : std::string("inf")) << "\n";
      os << std::setw(10) << "B" << std::setw(14) << "kappa" << std::setw(14) << "top" << std::setw(14) << "bottom"
         << std::setw(11) << "regime" << std::setw(14) << "lr_max_sgd" << "\n";
      for (const auto& r : rows)
        os << std::setw(10) << r.B << std::setw(14) << fmt(r.kappa) << std::setw(14) << fmt(r.top) << std::setw(14)
           << fmt(r.bottom) << std::setw(11) << th::to_string(r.regime_top) << std::setw(14) << fmt(r.lr_max_sgd)
           << "\n";
    });
  });
}

void ggn_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "ggn", "Predicted top eigenvalue of the batch GGN as a spiked sample covariance, gamma_B = P kappa_B / C_eff "
             "(docs/theory.md 2.6, a reconstruction). JSON key rows: B, kappa, gamma, top, edge, bottom, regime, "
             "overlap, lr_max_sgd");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--ell", "Spike eigenvalues of G_emp, comma separated (> 0)", true);
  add(sub, s, "--sigma2", "Bulk level sigma^2 of G_emp", true);
  add(sub, s, "--P", "Number of parameters P", true);
  add(sub, s, "--c-eff", "Effective number of classes C_eff (<= C - 1)", true);
  add(sub, s, "--N", "Pool size N (0: infinite pool)", true);
  add(sub, s, "--B", "Batch sizes, comma separated", true);
  sub->callback([s, &global] {
    const auto ells = batchrmt::app::parse_double_list("--ell", s->at("ell"));
    const double sigma2 = parse_number("--sigma2", s->at("sigma2"));
    const double P = parse_number("--P", s->at("P"));
    const double c = parse_number("--c-eff", s->at("c-eff"));
    const auto N = to_count("--N", parse_number("--N", s->at("N")));
    const auto rows = th::ggn_batch_table(ells, sigma2, P, c, N, parse_batches(s->at("B")));
    json jr = json::array();
    for (const auto& r : rows)
      jr.push_back({{"B", r.B},
                    {"kappa", r.kappa},
                    {"gamma", r.gamma},
                    {"top", r.top},
                    {"edge", r.edge},
                    {"bottom", r.bottom},
                    {"regime", th::to_string(r.regime)},
                    {"overlap", r.overlap},
                    {"lr_max_sgd", opt(r.lr_max_sgd)}});
    json j{{"rows", jr}};
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << std::setw(10) << "B" << std::setw(14) << "gamma" << std::setw(14) << "top" << std::setw(11) << "regime"
         << std::setw(14) << "lr_max_sgd" << "\n";
      for (const auto& r : rows)
        os << std::setw(10) << r.B << std::setw(14) << fmt(r.gamma) << std::setw(14) << fmt(r.top) << std::setw(11)
           << th::to_string(r.regime) << std::setw(14) << fmt(r.lr_max_sgd) << "\n";
    });
  });
}

void qve_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "qve", "Block variance profile: edges and the outlier of a rank-one spike from the quadratic vector equation "
             "(docs/theory.md 2.5). JSON keys: edge_upper, edge_lower, outlier (null if none), iterations");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--block-sizes", "Block sizes n_1,...,n_K (> 0; fractions allowed)", true);
  add(sub, s, "--block-variances", "Entry variances s_ab, K x K row-major, symmetric, >= 0", true);
  add(sub, s, "--theta", "Spike strength lambda of lambda phi phi^T (needs --spike-weights)");
  add(sub, s, "--spike-weights", "Block masses w_a = sum_{j in a} phi_j^2, summing to 1");
  add(sub, s, "--density-grid", "Also print the density at the comma-separated points");
  sub->callback([s, &global] {
    const auto sizes = batchrmt::app::parse_double_list("--block-sizes", s->at("block-sizes"));
    const auto var = batchrmt::app::parse_double_list("--block-variances", s->at("block-variances"));
    const std::size_t K = sizes.size();
    if (var.size() != K * K)
      throw InvalidInput("--block-variances has " + std::to_string(var.size()) + " values, but must have K*K = " +
                         std::to_string(K * K) + " for " + std::to_string(K) + " blocks.");
    if (s->has("theta") != s->has("spike-weights"))
      throw InvalidInput("--theta and --spike-weights must be given together.");
    Eigen::VectorXd n(K);
    Eigen::MatrixXd v(K, K);
    for (std::size_t a = 0; a < K; ++a) {
      n(a) = sizes[a];
      for (std::size_t b = 0; b < K; ++b) v(a, b) = var[a * K + b];
    }
    th::QveSolver solver(th::QveProfile::block(n, v));
    const th::QveEdge& e = solver.edge();
    long iterations = e.bisection_iterations + e.fixed_point_iterations + e.newton_iterations + e.root_iterations +
                      e.krylov_iterations + e.lanczos_iterations;
    json j{{"edge_upper", e.upper},
           {"edge_lower", e.lower},
           {"edge_constant", e.edge_constant},
           {"stability_radius", e.stability_radius},
           {"edge_method", e.method},
           {"outlier", nullptr}};
    json detail{{"edge", {{"bisection", e.bisection_iterations},
                          {"fixed_point", e.fixed_point_iterations},
                          {"newton", e.newton_iterations},
                          {"krylov", e.krylov_iterations},
                          {"lanczos", e.lanczos_iterations},
                          {"root", e.root_iterations}}}};
    std::optional<th::QveOutlier> o;
    if (s->has("theta")) {
      const double theta = parse_number("--theta", s->at("theta"));
      const auto w = batchrmt::app::parse_double_list("--spike-weights", s->at("spike-weights"));
      if (w.size() != K)
        throw InvalidInput("--spike-weights has " + std::to_string(w.size()) + " values, but must have one per block (" +
                           std::to_string(K) + ").");
      Eigen::VectorXd wv(K);
      for (std::size_t a = 0; a < K; ++a) wv(a) = w[a];
      o = solver.outlier(theta, wv);
      j["outlier"] = opt(o->outlier);
      j["threshold"] = o->threshold;
      j["first_order"] = o->first_order;
      j["regime"] = th::to_string(o->regime);
      iterations += o->root_iterations + o->fixed_point_iterations + o->newton_iterations + o->krylov_iterations;
      detail["outlier"] = {{"root", o->root_iterations},
                           {"fixed_point", o->fixed_point_iterations},
                           {"newton", o->newton_iterations},
                           {"krylov", o->krylov_iterations}};
    }
    j["iterations"] = iterations;
    j["iterations_detail"] = detail;
    std::vector<double> grid, dens;
    if (s->has("density-grid")) {
      grid = batchrmt::app::parse_double_list("--density-grid", s->at("density-grid"));
      dens = solver.density(grid);
      j["density"] = {{"E", grid}, {"rho", dens}};
    }
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "QVE block profile, K = " << K << "\n  edges       [" << fmt(e.lower) << ", " << fmt(e.upper) << "]  ("
         << e.method << ", spr at edge " << fmt(e.stability_radius) << ")\n  edge const  " << fmt(e.edge_constant)
         << "\n";
      if (o)
        os << "  outlier     " << fmt(o->outlier) << "  (" << th::to_string(o->regime) << ", threshold "
           << fmt(o->threshold) << ", first order " << fmt(o->first_order) << ")\n";
      os << "  iterations  " << iterations << "\n";
      for (std::size_t i = 0; i < grid.size(); ++i) os << "  rho(" << fmt(grid[i]) << ") = " << fmt(dens[i]) << "\n";
    });
  });
}

void tracy_widom_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "tracy-widom", "Tracy-Widom F_beta by Bornemann's method (docs/theory.md 2.4). JSON keys: mean, variance, "
                     "quantiles (keyed by probability 0.01, 0.05, 0.5, 0.95, 0.99), skewness, excess_kurtosis");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--beta", "1 or 2", true);
  add(sub, s, "--cdf", "Also evaluate F_beta at these comma-separated points");
  sub->callback([s, &global] {
    const int beta = static_cast<int>(to_count("--beta", parse_number("--beta", s->at("beta"))));
    if (beta != 1 && beta != 2) throw InvalidInput("--beta is " + std::to_string(beta) + ", but must be 1 or 2.");
    const auto m = th::tracy_widom_moments(beta);
    json q = json::object();
    const char* keys[] = {"0.01", "0.05", "0.5", "0.95", "0.99"};
    const double ps[] = {0.01, 0.05, 0.5, 0.95, 0.99};
    for (int i = 0; i < 5; ++i) q[keys[i]] = th::tracy_widom_quantile(beta, ps[i]);
    json j{{"beta", beta},           {"mean", m.mean},       {"variance", m.variance},
           {"skewness", m.skewness}, {"excess_kurtosis", m.excess_kurtosis}, {"quantiles", q}};
    std::vector<double> pts;
    if (s->has("cdf")) {
      pts = batchrmt::app::parse_double_list("--cdf", s->at("cdf"));
      json c = json::array();
      for (double x : pts) c.push_back({{"s", x}, {"F", th::tracy_widom_cdf(beta, x)}});
      j["cdf"] = c;
    }
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "Tracy-Widom beta = " << beta << "\n  mean      " << fmt(m.mean) << "\n  variance  " << fmt(m.variance)
         << "\n  skewness  " << fmt(m.skewness) << "\n  ex. kurt. " << fmt(m.excess_kurtosis) << "\n";
      for (int i = 0; i < 5; ++i) os << "  q(" << keys[i] << ") = " << fmt(q[keys[i]].get<double>()) << "\n";
      for (double x : pts) os << "  F(" << fmt(x) << ") = " << fmt(th::tracy_widom_cdf(beta, x)) << "\n";
    });
  });
}

void lr_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "lr", "Maximal stable learning rate per batch size with its regime (docs/theory.md 2.7, 3). "
            "JSON key rows: B, kappa, lambda_top, lr_max, exponent, regime (+ optimizer-specific keys)");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--lambda", "Top spike lambda_1 of H_emp (> 0)", true);
  add(sub, s, "--noise-power", "P s^2 (homogeneous) or the measured V_phi", true);
  add(sub, s, "--N", "Pool size N (0: infinite pool)", true);
  add(sub, s, "--B", "Batch sizes, comma separated", true);
  add(sub, s, "--optimizer", "sgd (default), adam or damping");
  add(sub, s, "--momentum", "Heavy-ball momentum rho for sgd (default 0)");
  add(sub, s, "--delta", "Adam damping delta (default 1e-8)");
  add(sub, s, "--grad-sd", "Adam: population sd of a per-sample gradient coordinate");
  add(sub, s, "--grad-mean", "Adam: mean gradient coordinate (default 0)");
  add(sub, s, "--lr", "damping: the learning rate alpha of the damped second-order step");
  sub->callback([s, &global] {
    const double lambda = parse_number("--lambda", s->at("lambda"));
    const double np = parse_number("--noise-power", s->at("noise-power"));
    const auto N = to_count("--N", parse_number("--N", s->at("N")));
    const auto Bs = parse_batches(s->at("B"));
    const std::string optz = s->has("optimizer") ? s->at("optimizer") : "sgd";
    json rows = json::array();
    std::ostringstream table;
    table << std::setw(10) << "B" << std::setw(14) << "kappa" << std::setw(14) << "lambda_top" << std::setw(14)
          << (optz == "damping" ? "delta_min" : "lr_max") << std::setw(10) << "exponent" << "  regime\n";
    for (auto B : Bs) {
      json r;
      double kappa = 0, top = 0, val = 0, ex = 0;
      std::string regime;
      if (optz == "sgd") {
        const double mom = s->has("momentum") ? parse_number("--momentum", s->at("momentum")) : 0.0;
        const auto a = th::sgd_rule(lambda, np, N, B, mom);
        kappa = a.kappa, top = a.lambda_top, val = a.lr_max, ex = a.exponent, regime = a.regime;
        r = {{"q", a.q}, {"lr_first_order", a.lr_first_order}, {"first_order_regime", a.first_order_regime},
             {"lr_max", a.lr_max}};
      } else if (optz == "adam") {
        if (!s->has("grad-sd")) throw InvalidInput("--grad-sd is required with --optimizer adam.");
        const double delta = s->has("delta") ? parse_number("--delta", s->at("delta")) : 1e-8;
        const double gm = s->has("grad-mean") ? parse_number("--grad-mean", s->at("grad-mean")) : 0.0;
        const auto a = th::adam_rule(lambda, np, N, B, delta, parse_number("--grad-sd", s->at("grad-sd")), gm);
        kappa = a.kappa, top = a.lambda_top, val = a.lr_max, ex = a.exponent, regime = a.regime;
        r = {{"second_moment", a.second_moment}, {"scaling", a.scaling}, {"lr_max", a.lr_max}};
      } else if (optz == "damping") {
        if (!s->has("lr")) throw InvalidInput("--lr is required with --optimizer damping.");
        const auto a = th::minimal_damping(parse_number("--lr", s->at("lr")), lambda, np, N, B);
        kappa = N > 0 ? th::kappa_factor(N, B) : th::kappa_factor_infinite(B);
        top = a.lambda_top, val = a.delta_min, ex = a.exponent, regime = a.regime;
        r = {{"delta_min", a.delta_min}};
      } else {
        throw InvalidInput("--optimizer is '" + optz + "', but must be one of sgd, adam, damping.");
      }
      r["B"] = B;
      r["kappa"] = kappa;
      r["lambda_top"] = top;
      r["exponent"] = ex;
      r["regime"] = regime;
      rows.push_back(r);
      table << std::setw(10) << B << std::setw(14) << fmt(kappa) << std::setw(14) << fmt(top) << std::setw(14)
            << fmt(val) << std::setw(10) << std::setprecision(3) << ex << "  " << regime << "\n";
    }
    json j{{"optimizer", optz}, {"lambda", lambda}, {"noise_power", np}, {"N", N},
           {"noise_batch_size", th::noise_batch_size(lambda, np)}, {"rows", rows}};
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "learning-rate rule (" << optz << "), B_noise = " << fmt(th::noise_batch_size(lambda, np)) << "\n"
         << table.str();
    });
  });
}

void heavy_ball_cmd(CLI::App* theory, batchrmt::app::GlobalOptions& global) {
  auto* sub = theory->add_subcommand(
      "heavy-ball", "Optimal constant step and momentum for curvature in [lambda_min, lambda_max] (Polyak 1964; "
                    "docs/theory.md 2.7). JSON keys: lr, momentum, rate, gd_lr, gd_rate, condition, momentum_formula");
  auto s = std::make_shared<Strs>();
  add(sub, s, "--lambda-max", "Largest curvature L > 0", true);
  add(sub, s, "--lambda-min", "Smallest curvature mu, 0 < mu <= L", true);
  add(sub, s, "--momentum-formula", "polyak (default) or code (the authors' SSGDM variant, docs/theory.md 6.4)");
  sub->callback([s, &global] {
    const double L = parse_number("--lambda-max", s->at("lambda-max"));
    const double mu = parse_number("--lambda-min", s->at("lambda-min"));
    const std::string f = s->has("momentum-formula") ? s->at("momentum-formula") : "polyak";
    if (f != "polyak" && f != "code")
      throw InvalidInput("--momentum-formula is '" + f + "', but must be polyak or code.");
    const auto h = th::heavy_ball_optimal(L, mu, f == "code" ? th::MomentumFormula::Code : th::MomentumFormula::Polyak);
    json j{{"lambda_max", L}, {"lambda_min", mu}, {"condition", h.condition}, {"lr", h.lr}, {"momentum", h.momentum},
           {"rate", h.rate}, {"gd_lr", h.gd_lr}, {"gd_rate", h.gd_rate}, {"momentum_formula", h.momentum_formula}};
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "heavy ball (" << h.momentum_formula << ")  condition " << fmt(h.condition) << "\n  lr        "
         << fmt(h.lr) << "\n  momentum  " << fmt(h.momentum) << "\n  rate      " << fmt(h.rate) << "\n  GD lr     "
         << fmt(h.gd_lr) << "  (rate " << fmt(h.gd_rate) << ")\n";
    });
  });
}

void register_theory(CLI::App& app, batchrmt::app::GlobalOptions& global) {
  auto* theory = app.add_subcommand("theory", "Analytic predictions: spiked models, batch Hessian, QVE, "
                                              "Tracy-Widom, learning-rate rules (docs/theory.md 2, 3)");
  theory->require_subcommand(1);
  spiked_wigner_cmd(theory, global);
  spiked_covariance_cmd(theory, global);
  batch_hessian_cmd(theory, global);
  ggn_cmd(theory, global);
  qve_cmd(theory, global);
  tracy_widom_cmd(theory, global);
  lr_cmd(theory, global);
  heavy_ball_cmd(theory, global);
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(theory, 20, register_theory)
