// `batchrmt theory batch-hessian | ggn | lr`: predictions per batch size B for a pool of N
// samples (docs/theory.md 2.3, 2.6, 2.7, 3). They share --N and --B (apps/pool_options.hpp).
#include <iomanip>
#include <sstream>

#include "apps/number_checks.hpp"
#include "apps/pool_options.hpp"
#include "apps/runtime.hpp"
#include "apps/subcommand.hpp"
#include "apps/theory_cli.hpp"
#include "core/errors.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"

namespace batchrmt::app::theory_cli {

namespace {

using batchrmt::InvalidInput;
namespace th = batchrmt::theory;

// A column of a per-B table: its JSON key (also its header) and its text width.
struct Column {
  const char* key;
  int width;
};

std::string cell(const json& v) {
  if (v.is_null()) return "none";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return fmt(v.get<double>());
}

void write_table(std::ostream& os, const json& rows, const std::vector<Column>& columns) {
  for (const auto& c : columns) os << std::setw(c.width) << c.key;
  os << "\n";
  for (const auto& row : rows) {
    for (const auto& c : columns) os << std::setw(c.width) << cell(row[c.key]);
    os << "\n";
  }
}

struct BatchHessianArgs {
  ListOption<double> spikes;
  double P = 0.0, s2 = 0.0;
  PoolOptions pool;
};

void run_batch_hessian(const GlobalOptions& global, const BatchHessianArgs& a) {
  check_batch_sizes(a.pool);
  const auto N = a.pool.N;
  json rows = json::array();
  for (const auto& r : th::batch_hessian_table(a.spikes.values, a.P, a.s2, N, a.pool.B.values))
    rows.push_back({{"B", r.B}, {"kappa", r.kappa}, {"omega", r.omega}, {"top", r.top}, {"bottom", r.bottom},
                    {"regime", th::to_string(r.regime_top)}, {"regime_bottom", th::to_string(r.regime_bottom)},
                    {"overlap_top", r.overlap_top}, {"top_sd", r.top_sd}, {"lr_max_sgd", nullable(r.lr_max_sgd)}});
  json j{{"P", a.P}, {"s2", a.s2}, {"N", N}, {"lambda", a.spikes.values}, {"rows", rows}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "batch Hessian (additive model, Theorem A)  P = " << fmt(a.P) << ", s2 = " << fmt(a.s2)
       << ", N = " << (N > 0 ? std::to_string(N) : std::string("inf")) << "\n";
    write_table(os, rows, {{"B", 10}, {"kappa", 14}, {"top", 14}, {"bottom", 14}, {"regime", 11}, {"lr_max_sgd", 14}});
  });
}

struct GgnArgs {
  ListOption<double> ells;
  double sigma2 = 0.0, P = 0.0, c_eff = 0.0;
  PoolOptions pool;
};

void run_ggn(const GlobalOptions& global, const GgnArgs& a) {
  check_batch_sizes(a.pool);
  json rows = json::array();
  for (const auto& r : th::ggn_batch_table(a.ells.values, a.sigma2, a.P, a.c_eff, a.pool.N, a.pool.B.values))
    rows.push_back({{"B", r.B}, {"kappa", r.kappa}, {"gamma", r.gamma}, {"top", r.top}, {"edge", r.edge},
                    {"bottom", r.bottom}, {"regime", th::to_string(r.regime)}, {"overlap", r.overlap},
                    {"lr_max_sgd", nullable(r.lr_max_sgd)}});
  batchrmt::app::emit(global, json{{"rows", rows}}, [&](std::ostream& os) {
    write_table(os, rows, {{"B", 10}, {"gamma", 14}, {"top", 14}, {"regime", 11}, {"lr_max_sgd", 14}});
  });
}

struct LrArgs {
  double lambda = 0.0, noise_power = 0.0;
  PoolOptions pool;
  std::string optimizer = "sgd";
  double momentum = 0.0, delta = 1e-8, grad_mean = 0.0;
  std::optional<double> grad_sd, lr;
};

// The keys every rule's row has; the rule adds its own.
template <typename Rule>
json rule_row(const Rule& rule, std::int64_t B, double kappa) {
  return {{"B", B}, {"kappa", kappa}, {"lambda_top", rule.lambda_top}, {"exponent", rule.exponent}, {"regime", rule.regime}};
}

json lr_row(const LrArgs& a, std::int64_t B) {
  const auto N = a.pool.N;
  if (a.optimizer == "adam") {
    const auto r = th::adam_rule(a.lambda, a.noise_power, N, B, a.delta, *a.grad_sd, a.grad_mean);
    json row = rule_row(r, B, r.kappa);
    row.update({{"second_moment", r.second_moment}, {"scaling", r.scaling}, {"lr_max", r.lr_max}});
    return row;
  }
  if (a.optimizer == "damping") {
    const auto r = th::minimal_damping(*a.lr, a.lambda, a.noise_power, N, B);
    json row = rule_row(r, B, N > 0 ? th::kappa_factor(N, B) : th::kappa_factor_infinite(B));
    row["delta_min"] = r.delta_min;
    return row;
  }
  const auto r = th::sgd_rule(a.lambda, a.noise_power, N, B, a.momentum);
  json row = rule_row(r, B, r.kappa);
  row.update({{"q", r.q}, {"lr_first_order", r.lr_first_order}, {"first_order_regime", r.first_order_regime},
              {"lr_max", r.lr_max}});
  return row;
}

void run_lr(const GlobalOptions& global, const LrArgs& a) {
  check_batch_sizes(a.pool);
  if (a.optimizer == "adam" && !a.grad_sd) throw InvalidInput("--grad-sd is required with --optimizer adam.");
  if (a.optimizer == "damping" && !a.lr) throw InvalidInput("--lr is required with --optimizer damping.");
  const char* value_key = a.optimizer == "damping" ? "delta_min" : "lr_max";
  json rows = json::array();
  std::ostringstream table;
  table << std::setw(10) << "B" << std::setw(14) << "kappa" << std::setw(14) << "lambda_top" << std::setw(14)
        << value_key << std::setw(10) << "exponent" << "  regime\n";
  for (auto B : a.pool.B.values) {
    const json row = lr_row(a, B);
    rows.push_back(row);
    table << std::setw(10) << B << std::setw(14) << cell(row["kappa"]) << std::setw(14) << cell(row["lambda_top"])
          << std::setw(14) << cell(row[value_key]) << std::setw(10) << std::setprecision(3)
          << row["exponent"].get<double>() << "  " << row["regime"].get<std::string>() << "\n";
  }
  const double noise_batch = th::noise_batch_size(a.lambda, a.noise_power);
  json j{{"optimizer", a.optimizer}, {"lambda", a.lambda}, {"noise_power", a.noise_power}, {"N", a.pool.N},
         {"noise_batch_size", noise_batch}, {"rows", rows}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "learning-rate rule (" << a.optimizer << "), B_noise = " << fmt(noise_batch) << "\n" << table.str();
  });
}

void bind_batch_hessian(CLI::App* sub, BatchHessianArgs& a) {
  add_list(sub, "--lambda", a.spikes, "Spike eigenvalues of H_emp, comma separated (either sign)")->required();
  sub->add_option("--P", a.P, "Number of parameters P")->required();
  sub->add_option("--s2", a.s2, "Per-entry population variance s^2 of the per-sample Hessians")->required();
  add_pool_options(sub, a.pool, 0);
  sub->description(
      "Predicted extreme eigenvalues of the batch Hessian per batch size (docs/theory.md 2.3 Theorem A, a "
      "reconstruction). JSON key rows: one object per B with B, kappa, top, bottom, regime, lr_max_sgd");
}

void bind_ggn(CLI::App* sub, GgnArgs& a) {
  add_list(sub, "--ell", a.ells, "Spike eigenvalues of G_emp, comma separated (> 0)")->required();
  sub->add_option("--sigma2", a.sigma2, "Bulk level sigma^2 of G_emp")->required();
  sub->add_option("--P", a.P, "Number of parameters P")->required();
  sub->add_option("--c-eff", a.c_eff, "Effective number of classes C_eff (<= C - 1)")->required();
  add_pool_options(sub, a.pool, 0);
  sub->description(
      "Predicted top eigenvalue of the batch GGN as a spiked sample covariance, gamma_B = P kappa_B / C_eff "
      "(docs/theory.md 2.6, a reconstruction). JSON key rows: B, kappa, gamma, top, edge, bottom, regime, "
      "overlap, lr_max_sgd");
}

void bind_lr(CLI::App* sub, LrArgs& a) {
  sub->add_option("--lambda", a.lambda, "Top spike lambda_1 of H_emp (> 0)")->required();
  sub->add_option("--noise-power", a.noise_power, "P s^2 (homogeneous) or the measured V_phi")->required();
  add_pool_options(sub, a.pool, 0);
  must_be_one_of(sub->add_option("--optimizer", a.optimizer, "sgd (default), adam or damping"), {"sgd", "adam", "damping"});
  sub->add_option("--momentum", a.momentum, "Heavy-ball momentum rho for sgd (default 0)");
  sub->add_option("--delta", a.delta, "Adam damping delta (default 1e-8)");
  sub->add_option("--grad-sd", a.grad_sd, "Adam: population sd of a per-sample gradient coordinate");
  sub->add_option("--grad-mean", a.grad_mean, "Adam: mean gradient coordinate (default 0)");
  sub->add_option("--lr", a.lr, "damping: the learning rate alpha of the damped second-order step");
  sub->description(
      "Maximal stable learning rate per batch size with its regime (docs/theory.md 2.7, 3). "
      "JSON key rows: B, kappa, lambda_top, lr_max, exponent, regime (+ optimizer-specific keys)");
}

}  // namespace

void batch_hessian_cmd(CLI::App* t, GlobalOptions& g) {
  add_command<BatchHessianArgs>(t, g, "batch-hessian", bind_batch_hessian, run_batch_hessian);
}
void ggn_cmd(CLI::App* t, GlobalOptions& g) { add_command<GgnArgs>(t, g, "ggn", bind_ggn, run_ggn); }
void lr_cmd(CLI::App* t, GlobalOptions& g) { add_command<LrArgs>(t, g, "lr", bind_lr, run_lr); }

}  // namespace batchrmt::app::theory_cli
