#include "verify/regression.hpp"

#include <cmath>
#include <map>

#include "core/provenance.hpp"
#include "core/rng.hpp"
#include "core/errors.hpp"
#include "outputs/store.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/sample_pool.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/marchenko_pastur.hpp"
#include "theory/qve.hpp"
#include "theory/semicircle.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"
#include "theory/tracy_widom.hpp"

namespace batchrmt::verify {

namespace {
constexpr double kTheoryTol = 1e-10;
constexpr double kSimulationTol = 1e-9;
constexpr std::uint64_t kSeed = 20220601;
}  // namespace

std::vector<RegressionQuantity> regression_quantities() {
  std::vector<RegressionQuantity> q;
  auto add = [&](std::string name, std::string description, std::vector<double> values, double rel) {
    q.push_back({std::move(name), std::move(description), std::move(values), rel, 1e-14});
  };
  {
    const theory::Semicircle sc(1.3);
    const theory::MarchenkoPastur mp(0.4, 2.0);
    std::vector<double> d_sc, c_sc, d_mp;
    for (double x : {-2.0, -1.0, 0.0, 0.5, 1.7, 2.5}) {
      d_sc.push_back(sc.density(x));
      c_sc.push_back(sc.cdf(x));
    }
    for (double x : {0.5, 1.0, 2.0, 3.0, 4.5}) d_mp.push_back(mp.density(x));
    add("theory.semicircle_density", "semicircle sigma=1.3, density at -2,-1,0,0.5,1.7,2.5", d_sc, kTheoryTol);
    add("theory.semicircle_cdf", "semicircle sigma=1.3, CDF at the same points", c_sc, kTheoryTol);
    add("theory.mp_density", "Marchenko-Pastur gamma=0.4 sigma2=2, density at 0.5,1,2,3,4.5", d_mp, kTheoryTol);
  }
  {
    std::vector<double> out, cov;
    for (double t : {0.5, 1.0, 1.5, 3.0, -2.0}) out.push_back(theory::spiked_wigner(t, 1.0).extreme);
    for (double l : {1.2, 2.0, 5.0, 40.0}) cov.push_back(theory::spiked_covariance(l, 0.5, 1.0).extreme);
    add("theory.spiked_wigner_extreme", "BBP extreme eigenvalue, sigma=1, theta=0.5,1,1.5,3,-2", out, kTheoryTol);
    add("theory.spiked_covariance_extreme", "spiked covariance top, gamma=0.5, ell=1.2,2,5,40", cov, kTheoryTol);
  }
  {
    std::vector<double> top;
    for (const auto& row : theory::batch_hessian_table({5.0}, 400.0, 1.0, 0, {1, 4, 16, 64, 256, 1024})) top.push_back(row.top);
    add("theory.batch_hessian_top_3_1", "docs/theory.md 3.1 table: lambda1=5, P sigma^2=400, N=inf, B=1..1024", top, kTheoryTol);
    std::vector<double> ggn;
    for (const auto& row : theory::ggn_batch_table({40.0}, 1.0, 12800.0, 1.0, 0, {4, 16, 64, 256, 1024, 4096})) ggn.push_back(row.top);
    add("theory.ggn_top_3_3", "docs/theory.md 3.3 table: ell=40, P/C_eff=12800, B=4..4096", ggn, kTheoryTol);
  }
  {
    std::vector<double> f1, f2;
    for (double s : {-3.0, -2.0, -1.0, 0.0, 1.0}) {
      f1.push_back(theory::tracy_widom_cdf(1, s));
      f2.push_back(theory::tracy_widom_cdf(2, s));
    }
    add("theory.tracy_widom_f1", "TW1 CDF at -3,-2,-1,0,1", f1, kTheoryTol);
    add("theory.tracy_widom_f2", "TW2 CDF at -3,-2,-1,0,1", f2, kTheoryTol);
  }
  {
    Eigen::VectorXd f(2);
    f << 0.25, 0.75;
    Eigen::MatrixXd t(2, 2);
    t << 3, 1, 1, 0.5;
    const theory::QveSolver solver(theory::QveProfile::block(f, t));
    std::vector<double> v = {solver.edge().upper};
    for (double l : {1.5, 2.0, 3.0}) v.push_back(*solver.outlier(l, f).outlier);
    add("theory.block_qve", "docs/theory.md 7.3 block QVE: edge, outliers at 1.5, 2, 3 (delocalised)", v, 1e-9);
  }
  {
    std::vector<double> dense, tri;
    for (std::uint64_t t = 0; t < 8; ++t) {
      RandomStream r1(kSeed, t), r2(kSeed, 100 + t);
      dense.push_back(simulate::symmetric_eigenvalues(simulate::sample_spiked_wigner(100, 1.0, {2.0}, r1)).maxCoeff());
      tri.push_back(simulate::top_eigenvalue(simulate::sample_beta_hermite(100000, 1.0, 1.0, 0.0, r2, simulate::edge_truncation_size(100000))));
    }
    add("simulate.dense_spiked_wigner_top", "dense n=100 theta=2, 8 seeded trials", dense, kSimulationTol);
    add("simulate.tridiagonal_top", "tridiagonal n=1e5 truncated, 8 seeded trials", tri, kSimulationTol);
  }
  {
    simulate::PoolSpec spec;
    spec.P = 30;
    spec.N = 100;
    spec.spikes = {3.0, -2.0};
    spec.s2 = 0.02;
    const simulate::SamplePool pool(spec, kSeed);
    std::vector<double> tops;
    for (std::int64_t B : {2, 10, 50})
      for (std::uint64_t s = 0; s < 3; ++s)
        tops.push_back(simulate::symmetric_eigenvalues(pool.batch_mean(batch_indices(100, static_cast<std::size_t>(B), kSeed, s))).maxCoeff());
    add("simulate.pool_batch_top", "hessian pool P=30 N=100, B=2,10,50 x 3 subsets", tops, kSimulationTol);
    simulate::PoolSpec g = spec;
    g.curvature = simulate::Curvature::ggn;
    g.spikes = {10.0};
    g.C = 4;
    const simulate::SamplePool gpool(g, kSeed);
    std::vector<double> gt;
    for (std::int64_t B : {2, 10, 50})
      gt.push_back(simulate::symmetric_eigenvalues(gpool.batch_mean(batch_indices(100, static_cast<std::size_t>(B), kSeed, 0))).maxCoeff());
    add("simulate.ggn_pool_batch_top", "ggn pool P=30 N=100 C=4 ell=10, B=2,10,50", gt, kSimulationTol);
  }
  add_network_quantities(q);
  return q;
}

std::vector<RegressionDifference> compare_with_golden(const std::vector<RegressionQuantity>& current,
                                                      const std::string& golden_path) {
  const outputs::Reader reader = outputs::Reader::open(golden_path);
  if (!reader.root().has("quantities"))
    throw batchrmt::InvalidInput(golden_path + " is a batchrmt result but not a golden regression file: it has no /quantities group.");
  const outputs::Group root = reader.root().group("quantities");
  std::vector<RegressionDifference> diffs;
  std::map<std::string, bool> seen;
  for (const auto& q : current) {
    seen[q.name] = true;
    if (!root.has(q.name)) {
      diffs.push_back({q.name, 0, 0.0, 0.0, "missing in golden"});
      continue;
    }
    const Eigen::VectorXd golden = root.read_vector(q.name);
    if (static_cast<std::size_t>(golden.size()) != q.values.size()) {
      diffs.push_back({q.name, 0, static_cast<double>(golden.size()), static_cast<double>(q.values.size()), "length"});
      continue;
    }
    for (std::size_t i = 0; i < q.values.size(); ++i) {
      const double g = golden(static_cast<Eigen::Index>(i)), c = q.values[i];
      const bool same_nan = std::isnan(g) && std::isnan(c);
      if (!same_nan && !(std::abs(c - g) <= q.abs_tol + q.rel_tol * std::abs(g))) diffs.push_back({q.name, i, g, c, "value"});
    }
  }
  for (const auto& name : root.children())
    if (!seen.count(name) && (network_quantities_available() || name.rfind("networks.", 0) != 0))
      diffs.push_back({name, 0, 0.0, 0.0, "missing now"});
  return diffs;
}

void write_golden(const std::vector<RegressionQuantity>& quantities, const std::string& golden_path) {
  auto prov = collect_provenance({"batchrmt", "verify", "regression", "--update"}, kSeed, 1);
  auto store = outputs::Store::open(golden_path, prov, outputs::OpenMode::overwrite);
  const auto root = store.root().group("quantities");
  for (const auto& q : quantities) root.write(q.name, q.values);
  for (const auto& q : quantities) {
    store.set_root_attribute("tolerance." + q.name, q.rel_tol);
    store.set_root_attribute("description." + q.name, q.description);
  }
  store.commit();
}

}  // namespace batchrmt::verify
