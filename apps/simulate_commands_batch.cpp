// `batchrmt simulate batch-hessian`: a per-sample pool, its batch Hessians (or GGNs) over B
// samples drawn without replacement, measured against the theory's prediction from the pool's
// empirical matrix (docs/theory.md 1.2, 2.3, 2.5, 2.6, 5.4).
#include <cstdio>
#include <memory>

#include "apps/number_checks.hpp"
#include "apps/pool_options.hpp"
#include "apps/runtime.hpp"
#include "apps/simulate_cli.hpp"
#include "apps/subcommand.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/rng.hpp"
#include "core/system.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/sample_pool.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/qve.hpp"

namespace batchrmt::app::simulate_cli {

namespace {

namespace sim = batchrmt::simulate;
namespace theory = batchrmt::theory;
namespace outputs = batchrmt::outputs;

struct BatchOptions : CommonOptions {
  std::int64_t P = 0, C = 10;
  PoolOptions pool;
  ListOption<double> spikes;
  ProfileLists profile{"--profile-sizes", "--profile-variances", {}, {}};
  double s2 = 1.0, sigma2 = 1.0;
  std::string curvature = "hessian";
};

sim::PoolSpec pool_spec(const BatchOptions& o) {
  sim::PoolSpec spec;
  spec.curvature = sim::parse_curvature(o.curvature);
  spec.P = o.P;
  spec.N = o.pool.N;
  spec.spikes = o.spikes.values;
  spec.s2 = o.s2;
  spec.C = o.C;
  spec.sigma2 = o.sigma2;
  if (o.profile.given()) {
    if (spec.curvature != sim::Curvature::hessian)
      throw InvalidInput("--profile-sizes/--profile-variances apply to --curvature hessian, but ggn was chosen.");
    spec.profile = block_profile(o.profile);
  }
  spec.validate("simulate batch-hessian");
  return spec;
}

// The block QVE's top, bottom and regime per B for a field-dependent pool (docs/theory.md 2.5).
std::vector<json> profile_predictions(const sim::PoolSpec& spec, const std::vector<std::int64_t>& Bs,
                                      const Eigen::VectorXd& emp, const std::vector<double>& emp_spikes, std::size_t n_pos) {
  std::vector<json> rows;
  Eigen::VectorXd sizes(static_cast<Eigen::Index>(spec.profile->sizes.size()));
  for (std::size_t a = 0; a < spec.profile->sizes.size(); ++a)
    sizes(static_cast<Eigen::Index>(a)) = static_cast<double>(spec.profile->sizes[a]);
  const Eigen::VectorXd w = sizes / sizes.sum();  // Haar spike vectors: block masses n_a / P on average
  const double top_spike = n_pos ? emp_spikes.front() : 0.0;
  for (auto B : Bs) {
    const double kappa = theory::kappa_factor(spec.N, B);
    if (kappa == 0.0) {
      rows.push_back({{"top", emp(emp.size() - 1)}, {"bottom", emp(0)}, {"regime", "no noise (B = N)"}});
      continue;
    }
    const theory::QveSolver solver(theory::QveProfile::block(sizes, kappa * spec.profile->variances));
    double top = solver.edge().upper;
    std::string regime = "edge";
    if (n_pos) {
      const auto out = solver.outlier(top_spike, w);
      if (out.outlier) {
        top = *out.outlier;
        regime = "outlier";
      }
    }
    rows.push_back({{"top", top}, {"bottom", solver.edge().lower}, {"regime", regime}});
  }
  return rows;
}

// The theory's top, bottom and regime per B for a pool whose empirical matrix has the spectrum
// `emp` (ascending) and the outliers `emp_spikes` (the n_pos positive ones first): the
// batch-Hessian table, the block QVE for a variance profile, or the GGN table (docs/theory.md
// 2.3, 2.5, 2.6).
std::vector<json> pool_predictions(const sim::PoolSpec& spec, const std::vector<std::int64_t>& Bs,
                                   const Eigen::VectorXd& emp, const std::vector<double>& emp_spikes, std::size_t n_pos,
                                   double s2_eff) {
  if (spec.curvature == sim::Curvature::hessian && spec.profile)
    return profile_predictions(spec, Bs, emp, emp_spikes, n_pos);
  std::vector<json> rows;
  const auto P = static_cast<double>(spec.P);
  if (spec.curvature == sim::Curvature::hessian) {
    for (const auto& row : theory::batch_hessian_table(emp_spikes, P, s2_eff, spec.N, Bs))
      rows.push_back({{"top", row.top}, {"bottom", row.bottom}, {"regime", theory::to_string(row.regime_top)},
                      {"lr_max_sgd", nullable(row.lr_max_sgd)}});
  } else {
    for (const auto& row : theory::ggn_batch_table(spec.spikes, spec.sigma2, P, static_cast<double>(spec.C), spec.N, Bs))
      rows.push_back({{"top", row.top}, {"bottom", row.bottom}, {"regime", theory::to_string(row.regime)},
                      {"lr_max_sgd", nullable(row.lr_max_sgd)}});
  }
  return rows;
}

std::vector<sim::UnitSpec> batch_units(const std::shared_ptr<sim::SamplePool>& pool, const BatchOptions& o,
                                       std::uint64_t seed) {
  std::vector<sim::UnitSpec> units;
  for (auto B : o.pool.B.values) {
    sim::UnitSpec u;
    u.path = "/batch_hessian/" + o.curvature + "/B=" + std::to_string(B);
    u.keys = {"top", "bottom", "frobenius2"};
    u.trials = o.trials;
    u.parameters = {{"P", o.P}, {"N", o.pool.N}, {"B", B}, {"kappa", theory::kappa_factor(o.pool.N, B)},
                    {"curvature", o.curvature}, {"spikes", o.spikes.text}, {"subset_seed_is_trial", std::int64_t{1}}};
    // Trial s is subset s: the first B entries of the permutation of RandomStream(seed, s)
    // (docs/theory.md 5.4), nested across B; the pool itself is the same for every unit.
    u.trial = [pool, B, seed](std::int64_t s, batchrmt::RandomStream&) {
      const auto idx = batchrmt::batch_indices(static_cast<std::size_t>(pool->spec().N), static_cast<std::size_t>(B), seed,
                                               static_cast<std::uint64_t>(s));
      Eigen::MatrixXd h = pool->batch_mean(idx);
      const double frob2 = (h - pool->empirical()).squaredNorm();
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
      return std::vector<double>{ev(ev.size() - 1), ev(0), frob2};
    };
    units.push_back(std::move(u));
  }
  return units;
}

// The predictions from the measured H_emp (docs/theory.md 1.2: batchrmt predicts H_B from H_emp).
struct PoolPrediction {
  double F = 0;  // the population Frobenius variance
  std::vector<json> rows;
  std::vector<double> emp_spikes;
};

// On the writing rank only (under mpirun the others only compute their units): the predictions,
// stored beside each unit.
PoolPrediction predict(const sim::SamplePool& pool, const BatchOptions& o, std::vector<sim::UnitSpec>& units) {
  PoolPrediction p;
  if (!batchrmt::MpiContext::instance().is_writer()) return p;
  const auto& spec = pool.spec();
  const Eigen::VectorXd emp = sim::symmetric_eigenvalues(pool.empirical());
  std::size_t n_pos = 0, n_neg = 0;
  for (double s : spec.spikes) (s >= 0 ? n_pos : n_neg)++;
  for (std::size_t k = 0; k < n_pos; ++k) p.emp_spikes.push_back(emp(emp.size() - 1 - static_cast<Eigen::Index>(k)));
  for (std::size_t k = 0; k < n_neg; ++k) p.emp_spikes.push_back(emp(static_cast<Eigen::Index>(k)));
  p.F = pool.frobenius_variance();
  const double s2_eff = p.F / (static_cast<double>(o.P) * static_cast<double>(o.P));
  p.rows = pool_predictions(spec, o.pool.B.values, emp, p.emp_spikes, n_pos, s2_eff);
  for (std::size_t i = 0; i < units.size(); ++i) {
    const json pred = p.rows[i];
    const double frob_pred = theory::kappa_factor(o.pool.N, o.pool.B.values[i]) * p.F;
    units[i].annotate = [pred, frob_pred, F = p.F](const outputs::Group& g) {
      g.set_attribute("predicted_top", pred["top"].get<double>());
      g.set_attribute("predicted_bottom", pred["bottom"].get<double>());
      g.set_attribute("predicted_regime", pred["regime"].get<std::string>());
      g.set_attribute("predicted_frobenius2", frob_pred);
      g.set_attribute("population_frobenius_variance", F);
    };
  }
  return p;
}

json summary_json(const sim::UnitResult& r, const std::string& key) {
  const auto& s = r.summary(key);
  return {{key + "_mean", s.mean}, {key + "_se", s.se}, {key + "_sd", s.sd}};
}

json measured_rows(const std::vector<sim::UnitResult>& results, const BatchOptions& o, const PoolPrediction& p) {
  json rows = json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto B = o.pool.B.values[i];
    const double kappa = theory::kappa_factor(o.pool.N, B);
    json row = {{"B", B}, {"kappa", kappa}, {"frobenius2_predicted", kappa * p.F}};
    for (const char* key : {"top", "bottom", "frobenius2"}) row.update(summary_json(results[i], key));
    const json& pred = p.rows[i];
    row.update({{"predicted_top", pred["top"]}, {"predicted_bottom", pred["bottom"]}, {"regime", pred["regime"]}});
    if (pred.contains("lr_max_sgd")) row["lr_max_sgd"] = pred["lr_max_sgd"];
    rows.push_back(row);
  }
  return rows;
}

void write_rows(std::ostream& os, const json& rows) {
  os << "      B       kappa    top (measured +- se)     top (theory)  bottom (measured +- se)  bottom (theory)  regime\n";
  for (const auto& row : rows) {
    char line[256];
    std::snprintf(line, sizeof line, "%7lld  %10.4g  %10.5g +- %-9.2g  %12.5g  %10.5g +- %-9.2g  %12.5g  %s\n",
                  static_cast<long long>(row["B"].get<std::int64_t>()), row["kappa"].get<double>(),
                  row["top_mean"].get<double>(), row["top_se"].get<double>(), row["predicted_top"].get<double>(),
                  row["bottom_mean"].get<double>(), row["bottom_se"].get<double>(),
                  row["predicted_bottom"].get<double>(), row["regime"].get<std::string>().c_str());
    os << line;
  }
}

void run_batch_hessian(const GlobalOptions& global, const BatchOptions& o) {
  const sim::PoolSpec spec = pool_spec(o);
  check_batch_sizes(o.pool);
  batchrmt::check_memory_budget("the per-sample pool's P x P work matrices (P = " + std::to_string(o.P) + ")", spec.working_bytes());
  auto pool = std::make_shared<sim::SamplePool>(spec, global.seed);
  // Keep the N per-sample noise matrices in memory when they fit in a quarter of the machine.
  pool->cache_samples(0.25 * static_cast<double>(batchrmt::physical_memory_bytes()));
  auto units = batch_units(pool, o, global.seed);
  const PoolPrediction p = predict(*pool, o, units);
  const auto results = run(global, o, units, "simulate batch-hessian");
  if (results.empty()) return;
  const json rows = measured_rows(results, o, p);
  json j = {{"curvature", o.curvature}, {"P", o.P}, {"N", o.pool.N}, {"trials", o.trials}, {"rows", rows},
            {"empirical_spikes", p.emp_spikes}, {"frobenius_variance", p.F}};
  if (!global.out.empty()) j["out"] = global.out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "batch " << o.curvature << " pool: P = " << o.P << ", N = " << o.pool.N << ", " << o.trials << " subsets per B\n";
    write_rows(os, rows);
  });
}

void bind_batch_hessian(CLI::App* sub, BatchOptions& o) {
  sub->description("Per-sample pool: batch Hessians (or GGNs) over B samples without replacement vs theory");
  must_be_at_least(sub->add_option("--P", o.P, "Dimension (parameters)")->required(), 2);
  add_pool_options(sub, o.pool, 2);
  add_list(sub, "--spikes", o.spikes, "Spikes l1,l2,... of H_true (hessian) or Sigma (ggn)");
  sub->add_option("--s2", o.s2, "Per-sample entry variance (hessian, homogeneous)")->capture_default_str();
  add_profile(sub, o.profile, "Field-dependent noise: ", false);
  must_be_one_of(sub->add_option("--curvature", o.curvature, "hessian | ggn")->capture_default_str(), {"hessian", "ggn"});
  sub->add_option("--C", o.C, "GGN: outer products per sample (C_eff)")->capture_default_str();
  sub->add_option("--sigma2", o.sigma2, "GGN: bulk variance of Sigma")->capture_default_str();
  add_common(sub, o, 2);
}

}  // namespace

void batch_hessian_cmd(CLI::App* simulate, GlobalOptions& global) {
  add_command<BatchOptions>(simulate, global, "batch-hessian", bind_batch_hessian, run_batch_hessian);
}

}  // namespace batchrmt::app::simulate_cli
