// Batch spectra of simulated per-sample pools, shared by claims C1-C4 (docs/theory.md §5.4, §5.8).
#include "verify/pool_sweep.hpp"

#include "core/checks.hpp"
#include "core/rng.hpp"
#include "simulate/dense_spectrum.hpp"
#include "theory/batch_hessian.hpp"
#include "verify/claim_store.hpp"
#include "verify/sampler_checks.hpp"

namespace batchrmt::verify {


PoolSweep sweep_pool(const simulate::SamplePool& pool, const std::vector<std::int64_t>& Bs, std::int64_t subsets,
                     std::uint64_t seed) {
  PoolSweep s;
  s.Bs = Bs;
  const auto nB = static_cast<Eigen::Index>(Bs.size());
  s.top.resize(nB, subsets);
  s.bottom.resize(nB, subsets);
  const auto N = pool.spec().N;
  for (Eigen::Index b = 0; b < nB; ++b) {
    for (std::int64_t t = 0; t < subsets; ++t) {
      const auto idx = batch_indices(static_cast<std::size_t>(N), static_cast<std::size_t>(Bs[static_cast<std::size_t>(b)]),
                                     seed, static_cast<std::uint64_t>(t));
      Eigen::MatrixXd h = pool.batch_mean(idx);
      const Eigen::VectorXd ev = simulate::symmetric_eigenvalues_in_place(h);
      s.top(b, t) = ev(ev.size() - 1);
      s.bottom(b, t) = ev(0);
    }
    std::vector<double> tv(static_cast<std::size_t>(subsets)), bv(static_cast<std::size_t>(subsets));
    for (std::int64_t t = 0; t < subsets; ++t) {
      tv[static_cast<std::size_t>(t)] = s.top(b, t);
      bv[static_cast<std::size_t>(t)] = s.bottom(b, t);
    }
    const auto ts = summarize(tv), bs = summarize(bv);
    s.kappa.push_back(theory::kappa_factor(N, Bs[static_cast<std::size_t>(b)]));
    s.top_mean.push_back(ts.mean);
    s.top_se.push_back(ts.stderr_);
    s.bottom_mean.push_back(bs.mean);
    s.bottom_se.push_back(bs.stderr_);
  }
  s.empirical = simulate::symmetric_eigenvalues(pool.empirical());
  s.F = pool.frobenius_variance();
  return s;
}

namespace {

// What a claim keeps of a sweep: series per B, matrices B x subsets and the pool's scalars.
const RecordFields<PoolSweep>& sweep_fields() {
  auto extreme = [](bool top) {
    return [top](const PoolSweep& s) { return FieldValue(s.empirical(top ? s.empirical.size() - 1 : 0)); };
  };
  auto derived = [](PoolSweep&, const FieldValue&) {};  // recomputed from the pool, never read back
  auto scalar = [](const char* name) { return FieldSpec{name, FieldKind::real, FieldPlace::attribute, Presence::required, ""}; };
  static const auto t = RecordFields<PoolSweep>()
                            .dataset("B", &PoolSweep::Bs)
                            .datasets(BATCHRMT_MEMBERS(PoolSweep, kappa, top_mean, top_se, bottom_mean, bottom_se))
                            .dataset("top_per_subset", &PoolSweep::top)
                            .dataset("bottom_per_subset", &PoolSweep::bottom)
                            .computed(scalar("empirical_top"), extreme(true), derived)
                            .computed(scalar("empirical_bottom"), extreme(false), derived)
                            .attribute("frobenius_variance", &PoolSweep::F);
  return t;
}

}  // namespace

void store_sweep(ClaimResult& r, const PoolSweep& s, const std::string& prefix) {
  put_values(r, sweep_fields().values(s), prefix);
}

simulate::PoolSpec hessian_pool_spec(const Config& c, const std::string& section, std::vector<double> default_spikes) {
  simulate::PoolSpec spec;
  spec.P = c.integer(section + ".P", 200);
  spec.N = c.integer(section + ".N", 1000);
  spec.spikes = c.numbers(section + ".spikes", default_spikes);
  spec.s2 = c.number(section + ".s2", 0.01);
  return spec;
}

std::uint64_t experiment_seed(std::uint64_t seed, std::uint64_t experiment) { return seed * 1000003ULL + experiment; }

double effective_s2(const PoolSweep& s, double P) { return s.F / (P * P); }

PoolSweep sweep_new_pool(ClaimResult& r, const simulate::PoolSpec& spec, std::uint64_t experiment, const std::vector<std::int64_t>& Bs,
                         std::int64_t subsets, std::uint64_t seed, const std::string& prefix) {
  simulate::SamplePool pool(spec, experiment_seed(seed, experiment));
  pool.cache_samples(2e9);
  PoolSweep s = sweep_pool(pool, Bs, subsets, seed);
  store_sweep(r, s, prefix);
  return s;
}

}  // namespace batchrmt::verify
