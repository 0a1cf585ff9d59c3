// Claim C4: the Gauss-Newton analogue, spiked covariance (docs/theory.md §2.6, §3.3).
#include <chrono>
#include <utility>
#include <cmath>

#include "core/checks.hpp"
#include "core/rng.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/sample_pool.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "spectral/operators.hpp"
#include "spectral/slq.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/ggn_lower_edge.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_wigner.hpp"
#include "theory/tracy_widom.hpp"
#include "verify/claims.hpp"
#include "verify/pool_sweep.hpp"
#include "verify/sampler_checks.hpp"

namespace batchrmt::verify {

namespace {

// Lower edge (theory/ggn_lower_edge.hpp): two predictions of the smallest eigenvalue of G_B.
//   population: G_B is exactly a sample covariance of m = B C samples of Sigma (theory/
//     ggn_lower_edge.hpp): sigma^2 (1 - sqrt(P/m))^2 plus its finite-m Tracy-Widom mean;
//   kappa_B substitution: ggn_batch_table's bottom, sigma2_emp (1 - sqrt(P kappa_B / C))^2
//     relative to the pool's G_emp.
// Judged where both are nonzero (B C > P) and the subsets differ (B < N): the population form
// is the prediction and the kappa_B form the null (verify::judge_against_null), each with the
// relative budget of the top; the z of the kappa_B form against its own budget is reported too.
// Writes the rows into r; returns the part's verdict and its sentence.
std::pair<Verdict, std::string> judge_lower_edge(ClaimResult& r, const simulate::PoolSpec& spec,
                                                 const std::vector<std::int64_t>& Bs,
                                                 const std::vector<theory::GgnBatchRow>& table, const PoolSweep& s,
                                                 double rel_budget) {
  std::vector<double> pop_edge, pop_mean, pop_sd, kap_bottom, z_pop, z_kap, judged;
  std::vector<Verdict> lower_parts;
  std::string lower_rows;
  int pop_fits = 0, kap_fits = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const double m = static_cast<double>(Bs[i]) * static_cast<double>(spec.C);
    const auto pop = theory::ggn_population_lower_edge(spec.sigma2, static_cast<double>(spec.P), m);
    pop_edge.push_back(pop.edge);
    pop_mean.push_back(pop.mean);
    pop_sd.push_back(pop.sd);
    kap_bottom.push_back(table[i].bottom);
    const double se = s.bottom_se[i];
    const bool judge = m > static_cast<double>(spec.P) && Bs[i] < spec.N && std::isfinite(se) && se > 0 &&
                       pop.mean > 0 && table[i].bottom > 0;
    judged.push_back(judge ? 1.0 : 0.0);
    z_pop.push_back(z_score(pop.mean, s.bottom_mean[i], se));
    z_kap.push_back(z_score(table[i].bottom, s.bottom_mean[i], se));
    if (!judge) continue;
    const Judgement j = judge_against_null(pop.mean, table[i].bottom, s.bottom_mean[i], se, rel_budget * pop.mean);
    const ZTest zk = z_test(table[i].bottom, s.bottom_mean[i], se, rel_budget * table[i].bottom);
    lower_parts.push_back(j.verdict);
    pop_fits += j.verdict != Verdict::disagrees;
    kap_fits += zk.passed;
    lower_rows += (lower_rows.empty() ? "" : "; ") + std::string("B=") + std::to_string(Bs[i]) + ": measured " +
                  format_number(s.bottom_mean[i], 4) + " +- " + format_number(se, 2) + ", population " +
                  format_number(pop.mean, 4) + " (z=" + format_number(j.z, 3) + "), kappa_B " +
                  format_number(table[i].bottom, 4) + " (z=" + format_number(zk.z, 3) + ", " +
                  (zk.passed ? "within" : "outside") + " its tolerance " + format_number(zk.tolerance, 3) + ") -> " +
                  to_string(j.verdict);
  }
  const Verdict lower_verdict = lower_parts.empty() ? Verdict::outside_regime : combine_parts(lower_parts);
  r.series["theory_bottom_kappa"] = kap_bottom;
  r.series["theory_bottom_population_edge"] = pop_edge;
  r.series["theory_bottom_population"] = pop_mean;
  r.series["theory_bottom_population_sd"] = pop_sd;
  r.series["z_bottom_population"] = z_pop;
  r.series["z_bottom_kappa"] = z_kap;
  r.series["bottom_judged"] = judged;
  r.scalars["bottom_rows_judged"] = static_cast<double>(lower_parts.size());
  r.scalars["bottom_rows_population_fits"] = pop_fits;
  r.scalars["bottom_rows_kappa_fits"] = kap_fits;
  const std::string fits =
      lower_parts.empty() ? "no batch size has B C > P and B < N, so the lower edge is not judged"
                          : "the population form fits " + std::to_string(pop_fits) + "/" + std::to_string(lower_parts.size()) +
                                " judged batch sizes and the kappa_B substitution " + std::to_string(kap_fits) + "/" +
                                std::to_string(lower_parts.size()) + " (" + lower_rows + ")";
  return {lower_verdict, fits};
}

}  // namespace

ClaimResult claim_ggn_analogue(const Config& c, std::uint64_t seed) {
  const auto start = Clock::now();
  ClaimResult r = named_claim("C4", "GGN analogue: batch GGN top eigenvalue grows as B shrinks, as the spiked-covariance model predicts");
  simulate::PoolSpec spec;
  spec.curvature = simulate::Curvature::ggn;
  spec.P = c.integer("c4.P", 200);
  spec.N = c.integer("c4.N", 500);
  spec.C = c.integer("c4.C", 10);
  spec.spikes = c.numbers("c4.ells", {40.0});
  spec.sigma2 = c.number("c4.sigma2", 1.0);
  const auto Bs = c.integers("c4.batch_sizes", {2, 4, 8, 16, 32, 64, 128, 256, 500});
  const auto subsets = c.integer("c4.subsets", 20);
  const double rel_budget = c.number("c4.relative_bias_budget", 0.05);
  const PoolSweep s = sweep_new_pool(r, spec, 4, Bs, subsets, seed, "");  // a GGN pool: nothing to cache
  // Predict from G_emp (docs/theory.md §1.2: batches are drawn from the pool, whose covariance is
  // G_emp): its top eigenvalue as the spike ell and the mean of the rest as the bulk sigma^2.
  const auto r_spikes = static_cast<Eigen::Index>(spec.spikes.size());
  std::vector<double> ell_emp;
  for (Eigen::Index a = 0; a < r_spikes; ++a) ell_emp.push_back(s.empirical(s.empirical.size() - 1 - a));
  const double bulk_sum = s.empirical.head(s.empirical.size() - r_spikes).sum();
  const double sigma2_emp = bulk_sum / static_cast<double>(s.empirical.size() - r_spikes);
  r.scalars["ell_empirical"] = ell_emp.empty() ? 0.0 : ell_emp[0];
  r.scalars["sigma2_empirical"] = sigma2_emp;
  const auto table = theory::ggn_batch_table(ell_emp, sigma2_emp, static_cast<double>(spec.P), static_cast<double>(spec.C), spec.N, Bs);
  std::vector<double> pt, z;
  std::string regimes;
  int within = 0;
  double worst = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    pt.push_back(table[i].top);
    regimes += std::string(regimes.empty() ? "" : ",") + theory::to_string(table[i].regime);
    const double se = std::max(s.top_se[i], 1e-300);
    const auto zt = z_test(table[i].top, s.top_mean[i], se, rel_budget * table[i].top);
    z.push_back(zt.z);
    within += zt.passed;
    worst = std::max(worst, std::abs(zt.z));
  }
  r.series["theory_top"] = pt;
  r.series["z_top"] = z;
  r.labels["theory_regime"] = regimes;
  const double rise = s.top_mean.front() - s.top_mean.back();
  const double rise_se = std::hypot(s.top_se.front(), s.top_se.back());
  r.prediction = pt.front();
  r.measurement = s.top_mean.front();
  r.stderr_ = s.top_se.front();
  r.z = z.front();
  r.scalars["rise"] = rise;
  r.scalars["rise_z"] = rise / rise_se;
  r.scalars["batch_sizes_within_tolerance"] = within;
  const bool ok = rise / rise_se >= 4.0 && within == static_cast<int>(Bs.size());
  const Verdict top_verdict = ok ? Verdict::agrees : Verdict::disagrees;
  // The lower edge: the population covariance against the kappa_B substitution.
  const auto [lower_verdict, fits] = judge_lower_edge(r, spec, Bs, table, s, rel_budget);
  r.labels["verdict_top"] = to_string(top_verdict);
  r.labels["verdict_lower_edge"] = to_string(lower_verdict);
  r.verdict = combine_parts({top_verdict, lower_verdict});
  r.note = "GGN pool P=" + std::to_string(spec.P) + ", N=" + std::to_string(spec.N) + ", C=" + std::to_string(spec.C) +
           ", ell=" + format_number(spec.spikes.empty() ? 0.0 : spec.spikes[0]) + ", " + std::to_string(subsets) +
           " subsets per B. Top (" + to_string(top_verdict) + "): rise of the top from B=" + std::to_string(Bs.back()) +
           " to B=" + std::to_string(Bs.front()) + " has z=" + format_number(rise / rise_se, 3) + "; " +
           std::to_string(within) + "/" + std::to_string(Bs.size()) + " batch sizes within 4 se + " +
           format_number(100 * rel_budget, 2) + "% of the spiked-covariance prediction (gamma_B = P kappa_B / C), worst |z| " +
           format_number(worst, 3) + ". Lower edge (" + to_string(lower_verdict) +
           "; prediction: population covariance, m = B C samples of Sigma with its finite-m Tracy-Widom mean; null: the "
           "kappa_B substitution; tolerance 4 se + " + format_number(100 * rel_budget, 2) + "% of each): " + fits +
           ". Verdict: the worse of the two parts (verify::combine_parts).";
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace batchrmt::verify
