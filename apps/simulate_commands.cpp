// `batchrmt simulate ...`: Monte-Carlo simulation of the random-matrix models of docs/theory.md,
// measured, summarised with standard errors, and stored in HDF5 beside the theory layer's
// prediction. Under `mpirun -np R` units are split across ranks (rank 0 writes and prints).
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "apps/output_checks.hpp"
#include "apps/runtime.hpp"
#include "core/checks.hpp"
#include "core/system.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/monte_carlo.hpp"
#include "core/mpi_context.hpp"
#include "simulate/sample_pool.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"

namespace {

using batchrmt::InvalidInput;
using batchrmt::app::GlobalOptions;
using nlohmann::json;
namespace sim = batchrmt::simulate;
namespace theory = batchrmt::theory;
namespace outputs = batchrmt::outputs;

struct CommonOptions {
  std::int64_t trials = 100;
  bool resume = false;
  bool overwrite = false;
};

void add_common(CLI::App* sub, CommonOptions& o) {
  sub->add_option("--trials", o.trials, "Independent matrices (Monte-Carlo trials)")->capture_default_str();
  sub->add_flag("--resume", o.resume, "Continue an interrupted --out file: keep complete units");
  sub->add_flag("--overwrite", o.overwrite, "Replace an existing --out file");
}

std::string number(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}

// The Dyson index range where the chi-distributed entries of the Dumitriu-Edelman models stay
// accurate in double precision: chi^2 with beta*k/2 degrees of freedom neither underflows to
// 0 (beta -> 0 gives a singular bidiagonal, negative "eigenvalues" from rounding) nor
// overflows (beta 1e300 gives inf - inf = NaN).
void check_dyson_index(const char* f, double beta) {
  if (!(beta >= 1e-3 && beta <= 1e6))
    throw InvalidInput(std::string(f) + ": --beta is " + number(beta) + ", but the tridiagonal samplers are accurate only for "
                       "Dyson indices in [0.001, 1e6].");
}

json nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// Opens the store (writer rank, --out given), runs the units, commits.
std::vector<sim::UnitResult> run(const GlobalOptions& global, const CommonOptions& common,
                                 const std::vector<sim::UnitSpec>& units, const std::string& label) {
  batchrmt::app::apply_runtime_settings(global);
  if (common.resume && common.overwrite)
    throw InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  if (!global.out.empty()) batchrmt::app::check_out_path(global.out);
  const auto& mpi = batchrmt::MpiContext::instance();
  std::optional<outputs::Store> store;
  if (!global.out.empty() && mpi.is_writer()) {
    const auto mode = common.overwrite ? outputs::OpenMode::overwrite
                      : common.resume  ? outputs::OpenMode::resume
                                       : outputs::OpenMode::fresh;
    auto prov = batchrmt::app::make_provenance(global);
    prov.libraries["mpi_ranks"] = std::to_string(mpi.size());
    store.emplace(outputs::Store::open(global.out, prov, mode, batchrmt::app::run_identity(global)));
    for (const auto& u : store->discarded_units())
      std::cerr << "resume: discarded the incomplete unit " << u << std::endl;
  } else if ((common.resume || common.overwrite) && global.out.empty()) {
    throw InvalidInput("--resume/--overwrite need --out FILE.h5, but no --out was given.");
  }
  sim::RunnerOptions ro;
  ro.seed = global.seed;
  ro.label = label;
  ro.progress = global.json ? batchrmt::Progress::Mode::quiet : batchrmt::Progress::Mode::automatic;
  auto results = sim::run_units(units, store ? &*store : nullptr, ro);
  if (store) store->commit();
  return results;
}

json summary_json(const sim::UnitResult& r, const std::string& key, const std::string& prefix) {
  const auto& s = r.summary(key);
  return {{prefix + "_mean", s.mean}, {prefix + "_se", s.se}, {prefix + "_sd", s.sd}};
}

// ------------------------------------------------------------------ spiked-wigner

struct WignerOptions : CommonOptions {
  std::int64_t n = 0;
  double theta = 0.0, sigma = 1.0, beta = 1.0;
  std::string method = "dense", entries = "gaussian", truncate = "none";
};

void run_spiked_wigner(const GlobalOptions& global, const WignerOptions& o) {
  const char* f = "simulate spiked-wigner";
  batchrmt::check_at_least<std::int64_t>(f, "--n", o.n, 2);
  batchrmt::check_at_least<std::int64_t>(f, "--trials", o.trials,1);  // 1: one matrix, standard error null
  batchrmt::check_positive(f, "--sigma", o.sigma);
  batchrmt::check_one_of<std::string>(f, "--method", o.method, {"dense", "tridiagonal"});
  const auto law = sim::parse_entry_law(o.entries);
  Eigen::Index K = 0;
  if (o.method == "tridiagonal") {
    if (law != sim::EntryLaw::gaussian)
      throw InvalidInput("--entries is " + o.entries + ", but the tridiagonal model is exact only for gaussian entries.");
    check_dyson_index(f, o.beta);
    if (o.truncate == "auto") K = sim::edge_truncation_size(o.n);
    else if (o.truncate != "none") K = batchrmt::app::parse_int_list("--truncate", o.truncate).at(0);
    batchrmt::check_bounded<Eigen::Index>(f, "--truncate", K, 0, static_cast<Eigen::Index>(o.n));
    batchrmt::check_memory_budget("a tridiagonal model of size " + std::to_string(o.n), 24.0 * static_cast<double>(K ? K : o.n));
  } else {
    if (o.beta != 1.0) throw InvalidInput("--beta is " + number(o.beta) + ", but the dense sampler is real symmetric (beta = 1).");
    batchrmt::check_memory_budget("a dense " + std::to_string(o.n) + " x " + std::to_string(o.n) + " matrix",
                                  3.0 * 8.0 * static_cast<double>(o.n) * static_cast<double>(o.n));
  }
  sim::UnitSpec u;
  u.path = "/spiked_wigner/" + o.method + "/n=" + std::to_string(o.n) + "/theta=" + number(o.theta);
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"n", o.n}, {"theta", o.theta}, {"sigma", o.sigma}, {"beta", o.beta}, {"method", o.method},
                  {"entries", o.entries}, {"truncation", static_cast<std::int64_t>(K)}};
  if (o.method == "dense") {
    u.trial = [o, law](std::int64_t, batchrmt::RandomStream& rng) {
      Eigen::MatrixXd h = sim::sample_spiked_wigner(o.n, o.sigma, o.theta != 0.0 ? std::vector<double>{o.theta}
                                                                                  : std::vector<double>{},
                                                    rng, law);
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
      return std::vector<double>{ev(ev.size() - 1), ev(0)};
    };
  } else {
    u.trial = [o, K](std::int64_t, batchrmt::RandomStream& rng) {
      const auto t = sim::sample_beta_hermite(o.n, o.beta, o.sigma, o.theta, rng, K);
      const auto e = sim::extreme_eigenvalues(t);  // one generation, both ends
      return std::vector<double>{e.top, e.bottom};
    };
  }
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
  json j = {{"method", o.method}, {"trials", o.trials}, {"n", o.n}, {"theta", o.theta}, {"sigma", o.sigma},
            {"top_mean", r.summary("top").mean}, {"top_se", r.summary("top").se},
            {"bottom_mean", r.summary("bottom").mean}, {"bottom_se", r.summary("bottom").se},
            {"truncation", K}, {"seconds", r.seconds},
            {"prediction", {{"top", pred_top}, {"bottom", pred_bottom}, {"regime", theory::to_string(pred.regime)},
                            {"outlier", nullable(pred.outlier)}}}};
  if (pred.outlier) j["prediction"]["outlier_sd"] = theory::spiked_wigner_outlier_sd(pred, static_cast<double>(o.n));
  if (!global.out.empty()) j["out"] = global.out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "spiked Wigner, n = " << o.n << ", theta = " << o.theta << ", sigma = " << o.sigma << ", " << o.trials
       << " trials (" << o.method << ")\n";
    os << "  top    " << r.summary("top").mean << " +- " << r.summary("top").se << "   theory " << pred_top << " ("
       << theory::to_string(pred.regime) << ")\n";
    os << "  bottom " << r.summary("bottom").mean << " +- " << r.summary("bottom").se << "   theory " << pred_bottom << "\n";
  });
}

// ------------------------------------------------------------------ spiked-covariance

struct CovarianceOptions : CommonOptions {
  std::int64_t p = 0, n = 0;
  double ell = 1.0, sigma2 = 1.0, beta = 1.0;
  std::string method = "dense";
};

void run_spiked_covariance(const GlobalOptions& global, const CovarianceOptions& o) {
  const char* f = "simulate spiked-covariance";
  batchrmt::check_at_least<std::int64_t>(f, "--p", o.p, 1);
  batchrmt::check_at_least<std::int64_t>(f, "--n", o.n, 2);
  batchrmt::check_at_least<std::int64_t>(f, "--trials", o.trials, 1);
  batchrmt::check_positive(f, "--ell", o.ell);
  batchrmt::check_positive(f, "--sigma2", o.sigma2);
  batchrmt::check_one_of<std::string>(f, "--method", o.method, {"dense", "bidiagonal"});
  const double gamma = static_cast<double>(o.p) / static_cast<double>(o.n);
  const std::int64_t dim = std::min(o.p, o.n);
  if (o.method == "dense") {
    if (o.beta != 1.0) throw InvalidInput("--beta is " + number(o.beta) + ", but the dense sampler is real (beta = 1).");
    batchrmt::check_memory_budget("a dense spiked covariance with p = " + std::to_string(o.p) + ", n = " + std::to_string(o.n),
                                  8.0 * (static_cast<double>(o.p) * static_cast<double>(o.n) + 3.0 * static_cast<double>(dim) * static_cast<double>(dim)));
  } else {
    check_dyson_index(f, o.beta);
  }
  sim::UnitSpec u;
  u.path = "/spiked_covariance/" + o.method + "/p=" + std::to_string(o.p) + "/n=" + std::to_string(o.n) + "/ell=" + number(o.ell);
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"p", o.p}, {"n", o.n}, {"gamma", gamma}, {"ell", o.ell}, {"sigma2", o.sigma2}, {"method", o.method}, {"beta", o.beta}};
  const bool spiked = o.ell != o.sigma2;
  if (o.method == "dense") {
    u.trial = [o, spiked](std::int64_t, batchrmt::RandomStream& rng) {
      Eigen::MatrixXd c = sim::sample_spiked_covariance(o.p, o.n, o.sigma2, spiked ? std::vector<double>{o.ell} : std::vector<double>{}, rng);
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(c);
      return std::vector<double>{ev(ev.size() - 1), ev(0)};  // bottom: smallest nonzero (Gram when p > n)
    };
  } else {
    u.trial = [o](std::int64_t, batchrmt::RandomStream& rng) {
      const auto t = sim::sample_beta_laguerre(o.p, o.n, o.beta, o.sigma2, o.ell, rng);
      const auto e = sim::extreme_eigenvalues(t);  // one generation, both ends
      return std::vector<double>{e.top, e.bottom};
    };
  }
  const auto pred = theory::spiked_covariance(o.ell, gamma, o.sigma2);
  u.annotate = [pred](const outputs::Group& g) {
    g.set_attribute("predicted_top", pred.extreme);
    g.set_attribute("predicted_regime", std::string(theory::to_string(pred.regime)));
  };
  const auto results = run(global, o, {u}, "simulate spiked-covariance");
  if (results.empty()) return;
  const auto& r = results.front();
  json j = {{"method", o.method}, {"trials", o.trials}, {"p", o.p}, {"n", o.n}, {"gamma", gamma}, {"ell", o.ell},
            {"top_mean", r.summary("top").mean}, {"top_se", r.summary("top").se},
            {"bottom_mean", r.summary("bottom").mean}, {"bottom_se", r.summary("bottom").se}, {"seconds", r.seconds},
            {"prediction", {{"top", pred.extreme}, {"edge", pred.edge}, {"lower_edge", pred.lower_edge},
                            {"regime", theory::to_string(pred.regime)}, {"outlier", nullable(pred.outlier)}}}};
  if (!global.out.empty()) j["out"] = global.out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "spiked covariance, p = " << o.p << ", n = " << o.n << " (gamma = " << gamma << "), ell = " << o.ell << ", "
       << o.trials << " trials (" << o.method << ")\n";
    os << "  top    " << r.summary("top").mean << " +- " << r.summary("top").se << "   theory " << pred.extreme << " ("
       << theory::to_string(pred.regime) << ")\n";
    os << "  bottom " << r.summary("bottom").mean << " +- " << r.summary("bottom").se << "   theory lower edge "
       << pred.lower_edge << "\n";
  });
}

// ------------------------------------------------------------------ variance-profile

struct ProfileOptions : CommonOptions {
  std::string sizes, variances, weights;
  double theta = 0.0;
  std::string entries = "gaussian";
};

sim::BlockProfile parse_profile(const std::string& sizes_opt, const std::string& sizes,
                                const std::string& var_opt, const std::string& variances) {
  sim::BlockProfile p;
  for (auto s : batchrmt::app::parse_int_list(sizes_opt, sizes)) {
    if (s < 1) throw InvalidInput(sizes_opt + " has the value " + std::to_string(s) + ", but block sizes must be at least 1.");
    p.sizes.push_back(s);
  }
  const auto v = batchrmt::app::parse_double_list(var_opt, variances);
  const auto K = static_cast<Eigen::Index>(p.sizes.size());
  if (static_cast<Eigen::Index>(v.size()) != K * K)
    throw InvalidInput(var_opt + " has " + std::to_string(v.size()) + " values, but " + std::to_string(K) +
                       " blocks need " + std::to_string(K * K) + " (a row-major K x K matrix).");
  p.variances.resize(K, K);
  for (Eigen::Index a = 0; a < K; ++a)
    for (Eigen::Index b = 0; b < K; ++b) p.variances(a, b) = v[static_cast<std::size_t>(a * K + b)];
  p.validate(var_opt.c_str());
  return p;
}

void run_variance_profile(const GlobalOptions& global, const ProfileOptions& o) {
  const char* f = "simulate variance-profile";
  batchrmt::check_at_least<std::int64_t>(f, "--trials", o.trials, 2);
  const auto profile = parse_profile("--block-sizes", o.sizes, "--block-variances", o.variances);
  const auto law = sim::parse_entry_law(o.entries);
  std::vector<double> weights;
  if (o.weights.empty()) {
    for (auto s : profile.sizes) weights.push_back(static_cast<double>(s) / static_cast<double>(profile.dimension()));
  } else {
    weights = batchrmt::app::parse_double_list("--spike-weights", o.weights);
  }
  batchrmt::check_size_match(f, "--spike-weights", weights.size(), "--block-sizes", profile.sizes.size());
  double wsum = 0;
  for (double w : weights) {
    batchrmt::check_nonnegative(f, "--spike-weights", w);
    wsum += w;
  }
  if (std::abs(wsum - 1.0) > 1e-9)
    throw InvalidInput("--spike-weights sum to " + number(wsum) + ", but must sum to 1.");
  const Eigen::Index n = profile.dimension();
  batchrmt::check_at_least<Eigen::Index>(f, "the dimension (sum of --block-sizes)", n, 2);
  batchrmt::check_memory_budget("a dense " + std::to_string(n) + " x " + std::to_string(n) + " profile matrix",
                                3.0 * 8.0 * static_cast<double>(n) * static_cast<double>(n));
  sim::UnitSpec u;
  u.path = "/variance_profile/n=" + std::to_string(n) + "/theta=" + number(o.theta) + "/sizes=" + o.sizes +
           "/variances=" + o.variances;
  u.keys = {"top", "bottom"};
  u.trials = o.trials;
  u.parameters = {{"block_sizes", o.sizes}, {"block_variances", o.variances}, {"theta", o.theta}, {"entries", o.entries}};
  u.trial = [profile, weights, theta = o.theta, law](std::int64_t, batchrmt::RandomStream& rng) {
    Eigen::MatrixXd h = sim::sample_profile_wigner(profile, rng, law);
    if (theta != 0.0) {
      const Eigen::VectorXd phi = sim::block_spike_vector(profile, weights, rng);
      h.noalias() += theta * phi * phi.transpose();
    }
    const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
    return std::vector<double>{ev(ev.size() - 1), ev(0)};
  };
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
  json j = {{"method", "dense"}, {"trials", o.trials}, {"n", n}, {"theta", o.theta},
            {"top_mean", r.summary("top").mean}, {"top_se", r.summary("top").se},
            {"bottom_mean", r.summary("bottom").mean}, {"bottom_se", r.summary("bottom").se}, {"seconds", r.seconds},
            {"prediction", {{"top", pred_top}, {"bottom", pred_bottom}, {"edge_upper", edge.upper},
                            {"edge_lower", edge.lower}, {"outlier", out ? nullable(out->outlier) : json(nullptr)},
                            {"threshold", out ? json(out->threshold) : json(nullptr)}}},
            {"homogeneous_prediction", {{"top", o.theta > 0 ? homogeneous.extreme : homogeneous.edge},
                                        {"mean_entry_variance", mean_var}}}};
  if (!global.out.empty()) j["out"] = global.out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "variance profile, n = " << n << ", theta = " << o.theta << ", " << o.trials << " trials\n";
    os << "  top    " << r.summary("top").mean << " +- " << r.summary("top").se << "   QVE " << pred_top
       << "   homogeneous " << j["homogeneous_prediction"]["top"].get<double>() << "\n";
    os << "  bottom " << r.summary("bottom").mean << " +- " << r.summary("bottom").se << "   QVE " << pred_bottom << "\n";
  });
}

// ------------------------------------------------------------------ batch-hessian

struct BatchOptions : CommonOptions {
  std::int64_t P = 0, N = 0, C = 10;
  std::string spikes, Bs, profile_sizes, profile_variances;
  double s2 = 1.0, sigma2 = 1.0;
  std::string curvature = "hessian";
};

// The theory's top, bottom and regime per B for a pool whose empirical matrix has the spectrum
// `emp` (ascending) and the outliers `emp_spikes` (the n_pos positive ones first): the
// batch-Hessian table, the block QVE for a variance profile, or the GGN table (docs/theory.md
// 2.3, 2.5, 2.6).
std::vector<json> pool_predictions(const sim::PoolSpec& spec, const BatchOptions& o, const std::vector<std::int64_t>& Bs,
                                   const Eigen::VectorXd& emp, const std::vector<double>& emp_spikes, std::size_t n_pos,
                                   double s2_eff) {
  std::vector<json> rows;
  if (spec.curvature == sim::Curvature::hessian && !spec.profile) {
    for (const auto& row : theory::batch_hessian_table(emp_spikes, static_cast<double>(o.P), s2_eff, o.N, Bs))
      rows.push_back({{"top", row.top}, {"bottom", row.bottom}, {"regime", theory::to_string(row.regime_top)},
                      {"lr_max_sgd", nullable(row.lr_max_sgd)}});
  } else if (spec.curvature == sim::Curvature::hessian) {
    Eigen::VectorXd sizes(static_cast<Eigen::Index>(spec.profile->sizes.size()));
    for (std::size_t a = 0; a < spec.profile->sizes.size(); ++a)
      sizes(static_cast<Eigen::Index>(a)) = static_cast<double>(spec.profile->sizes[a]);
    const Eigen::VectorXd w = sizes / sizes.sum();  // Haar spike vectors: block masses n_a / P on average
    const double top_spike = n_pos ? emp_spikes.front() : 0.0;
    for (auto B : Bs) {
      const double kappa = theory::kappa_factor(o.N, B);
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
  } else {
    for (const auto& row : theory::ggn_batch_table(spec.spikes, spec.sigma2, static_cast<double>(o.P),
                                                   static_cast<double>(o.C), o.N, Bs))
      rows.push_back({{"top", row.top}, {"bottom", row.bottom}, {"regime", theory::to_string(row.regime)},
                      {"lr_max_sgd", nullable(row.lr_max_sgd)}});
  }
  return rows;
}

void run_batch_hessian(const GlobalOptions& global, const BatchOptions& o) {
  const char* f = "simulate batch-hessian";
  sim::PoolSpec spec;
  spec.curvature = sim::parse_curvature(o.curvature);
  spec.P = o.P;
  spec.N = o.N;
  batchrmt::check_at_least<std::int64_t>(f, "--P", o.P, 2);
  batchrmt::check_at_least<std::int64_t>(f, "--N", o.N, 2);
  batchrmt::check_at_least<std::int64_t>(f, "--trials", o.trials, 2);
  spec.spikes = o.spikes.empty() ? std::vector<double>{} : batchrmt::app::parse_double_list("--spikes", o.spikes);
  spec.s2 = o.s2;
  spec.C = o.C;
  spec.sigma2 = o.sigma2;
  if (!o.profile_sizes.empty() || !o.profile_variances.empty()) {
    if (spec.curvature != sim::Curvature::hessian)
      throw InvalidInput("--profile-sizes/--profile-variances apply to --curvature hessian, but ggn was chosen.");
    spec.profile = parse_profile("--profile-sizes", o.profile_sizes, "--profile-variances", o.profile_variances);
  }
  spec.validate(f);
  const auto Bs = batchrmt::app::parse_int_list("--B", o.Bs);
  for (auto B : Bs) {
    if (B < 1 || B > o.N)
      throw InvalidInput("--B has the value " + std::to_string(B) + ", but batch sizes must lie in [1, N = " + std::to_string(o.N) + "].");
  }
  batchrmt::check_memory_budget("the per-sample pool's P x P work matrices (P = " + std::to_string(o.P) + ")", spec.working_bytes());
  auto pool = std::make_shared<sim::SamplePool>(spec, global.seed);
  // Keep the N per-sample noise matrices in memory when they fit in a quarter of the machine.
  pool->cache_samples(0.25 * static_cast<double>(batchrmt::physical_memory_bytes()));

  std::vector<sim::UnitSpec> units;
  for (auto B : Bs) {
    sim::UnitSpec u;
    u.path = "/batch_hessian/" + o.curvature + "/B=" + std::to_string(B);
    u.keys = {"top", "bottom", "frobenius2"};
    u.trials = o.trials;
    u.parameters = {{"P", o.P}, {"N", o.N}, {"B", B}, {"kappa", theory::kappa_factor(o.N, B)},
                    {"curvature", o.curvature}, {"spikes", o.spikes}, {"subset_seed_is_trial", std::int64_t{1}}};
    // Trial s is subset s: the first B entries of the permutation of RandomStream(seed, s)
    // (docs/theory.md 5.4), nested across B; the pool itself is the same for every unit.
    u.trial = [pool, B, seed = global.seed](std::int64_t s, batchrmt::RandomStream&) {
      const auto idx = batchrmt::batch_indices(static_cast<std::size_t>(pool->spec().N), static_cast<std::size_t>(B), seed,
                                               static_cast<std::uint64_t>(s));
      Eigen::MatrixXd h = pool->batch_mean(idx);
      const double frob2 = (h - pool->empirical()).squaredNorm();
      const Eigen::VectorXd ev = sim::symmetric_eigenvalues_in_place(h);
      return std::vector<double>{ev(ev.size() - 1), ev(0), frob2};
    };
    units.push_back(std::move(u));
  }
  // Predictions from the measured H_emp (docs/theory.md 1.2: batchrmt predicts H_B from H_emp), on
  // the writing rank only (under mpirun the others only compute their units).
  double F = 0;
  std::vector<json> pred_rows;
  std::vector<double> emp_spikes;
  if (batchrmt::MpiContext::instance().is_writer()) {
    const Eigen::VectorXd emp = sim::symmetric_eigenvalues(pool->empirical());
    std::size_t n_pos = 0, n_neg = 0;
    for (double s : spec.spikes) (s >= 0 ? n_pos : n_neg)++;
    for (std::size_t k = 0; k < n_pos; ++k) emp_spikes.push_back(emp(emp.size() - 1 - static_cast<Eigen::Index>(k)));
    for (std::size_t k = 0; k < n_neg; ++k) emp_spikes.push_back(emp(static_cast<Eigen::Index>(k)));
    F = pool->frobenius_variance();
    const double s2_eff = F / (static_cast<double>(o.P) * static_cast<double>(o.P));
    pred_rows = pool_predictions(spec, o, Bs, emp, emp_spikes, n_pos, s2_eff);
    for (std::size_t i = 0; i < units.size(); ++i) {
      const json pred = pred_rows[i];
      const double frob_pred = theory::kappa_factor(o.N, Bs[i]) * F;
      units[i].annotate = [pred, frob_pred, F](const outputs::Group& g) {
        g.set_attribute("predicted_top", pred["top"].get<double>());
        g.set_attribute("predicted_bottom", pred["bottom"].get<double>());
        g.set_attribute("predicted_regime", pred["regime"].get<std::string>());
        g.set_attribute("predicted_frobenius2", frob_pred);
        g.set_attribute("population_frobenius_variance", F);
      };
    }
  }
  const auto results = run(global, o, units, "simulate batch-hessian");
  if (results.empty()) return;
  json rows = json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    json row = {{"B", Bs[i]}, {"kappa", theory::kappa_factor(o.N, Bs[i])}};
    row.update(summary_json(r, "top", "top"));
    row.update(summary_json(r, "bottom", "bottom"));
    row.update(summary_json(r, "frobenius2", "frobenius2"));
    row["frobenius2_predicted"] = theory::kappa_factor(o.N, Bs[i]) * F;
    row["predicted_top"] = pred_rows[i]["top"];
    row["predicted_bottom"] = pred_rows[i]["bottom"];
    row["regime"] = pred_rows[i]["regime"];
    if (pred_rows[i].contains("lr_max_sgd")) row["lr_max_sgd"] = pred_rows[i]["lr_max_sgd"];
    rows.push_back(row);
  }
  json j = {{"curvature", o.curvature}, {"P", o.P}, {"N", o.N}, {"trials", o.trials}, {"rows", rows},
            {"empirical_spikes", emp_spikes}, {"frobenius_variance", F}};
  if (!global.out.empty()) j["out"] = global.out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "batch " << o.curvature << " pool: P = " << o.P << ", N = " << o.N << ", " << o.trials << " subsets per B\n";
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
  });
}

// ------------------------------------------------------------------ registration

void register_simulate(CLI::App& app, GlobalOptions& global) {
  auto* sim_cmd = app.add_subcommand("simulate", "Simulate random-matrix models and store per-trial results with theory beside them");
  sim_cmd->require_subcommand(1);

  auto w = std::make_shared<WignerOptions>();
  auto* sw = sim_cmd->add_subcommand("spiked-wigner", "Spiked GOE: W + theta v v^T (theta 0 = plain GOE); top and bottom eigenvalues");
  sw->add_option("--n", w->n, "Matrix size")->required();
  sw->add_option("--theta", w->theta, "Spike (0: plain GOE)")->capture_default_str();
  sw->add_option("--sigma", w->sigma, "Scale: semicircle on [-2 sigma, 2 sigma]")->capture_default_str();
  sw->add_option("--method", w->method, "dense (LAPACK dsyevd) | tridiagonal (Dumitriu-Edelman + Sturm bisection)")->capture_default_str();
  sw->add_option("--beta", w->beta, "Dyson index (tridiagonal method only)")->capture_default_str();
  sw->add_option("--truncate", w->truncate, "Tridiagonal edge truncation: none | auto (10 n^{1/3}) | K")->capture_default_str();
  sw->add_option("--entries", w->entries, "gaussian | rademacher | uniform (dense method)")->capture_default_str();
  add_common(sw, *w);
  sw->callback([w, &global] { run_spiked_wigner(global, *w); });

  auto c = std::make_shared<CovarianceOptions>();
  auto* sc = sim_cmd->add_subcommand("spiked-covariance", "Spiked sample covariance XX^T/n, p variables, n samples, Sigma = diag(ell, sigma2, ...)");
  sc->add_option("--p", c->p, "Variables (dimension)")->required();
  sc->add_option("--n", c->n, "Samples")->required();
  sc->add_option("--ell", c->ell, "Population spike (ell = sigma2: no spike)")->required();
  sc->add_option("--sigma2", c->sigma2, "Bulk population variance")->capture_default_str();
  sc->add_option("--method", c->method, "dense | bidiagonal (Dumitriu-Edelman beta-Laguerre)")->capture_default_str();
  sc->add_option("--beta", c->beta, "Dyson index (bidiagonal method only)")->capture_default_str();
  add_common(sc, *c);
  sc->callback([c, &global] { run_spiked_covariance(global, *c); });

  auto p = std::make_shared<ProfileOptions>();
  auto* sp = sim_cmd->add_subcommand("variance-profile", "Wigner-type matrix with a block variance profile plus theta phi phi^T");
  sp->add_option("--block-sizes", p->sizes, "Block sizes n1,n2,...")->required();
  sp->add_option("--block-variances", p->variances, "Entry variances s_ab, row-major K x K, symmetric")->required();
  sp->add_option("--theta", p->theta, "Spike strength")->capture_default_str();
  sp->add_option("--spike-weights", p->weights, "Block masses of phi, summing to 1 (default n_a / n)");
  sp->add_option("--entries", p->entries, "gaussian | rademacher | uniform")->capture_default_str();
  add_common(sp, *p);
  sp->callback([p, &global] { run_variance_profile(global, *p); });

  auto b = std::make_shared<BatchOptions>();
  auto* sb = sim_cmd->add_subcommand("batch-hessian", "Per-sample pool: batch Hessians (or GGNs) over B samples without replacement vs theory");
  sb->add_option("--P", b->P, "Dimension (parameters)")->required();
  sb->add_option("--N", b->N, "Pool size (training samples)")->required();
  sb->add_option("--spikes", b->spikes, "Spikes l1,l2,... of H_true (hessian) or Sigma (ggn)");
  sb->add_option("--B", b->Bs, "Batch sizes b1,b2,...")->required();
  sb->add_option("--s2", b->s2, "Per-sample entry variance (hessian, homogeneous)")->capture_default_str();
  sb->add_option("--profile-sizes", b->profile_sizes, "Field-dependent noise: block sizes (sum P)");
  sb->add_option("--profile-variances", b->profile_variances, "Field-dependent noise: entry variances s_ab (K x K)");
  sb->add_option("--curvature", b->curvature, "hessian | ggn")->capture_default_str();
  sb->add_option("--C", b->C, "GGN: outer products per sample (C_eff)")->capture_default_str();
  sb->add_option("--sigma2", b->sigma2, "GGN: bulk variance of Sigma")->capture_default_str();
  add_common(sb, *b);
  sb->callback([b, &global] { run_batch_hessian(global, *b); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(simulate, 30, register_simulate)
