// Batch-Hessian spectra of a network (docs/curvature.md; docs/theory.md 5.4-5.7): Lanczos on the
// full-data operator and on K subsets per batch size, and the per-sample noise along the top
// (and bottom) eigenvector of the full operator. No LibTorch, no HDF5, no theory/ here: the
// units go through a SpectrumSink and the predictions are added by verify/spectrum_measurement.cpp.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/byte_buffer.hpp"
#include "core/mpi_context.hpp"
#include "core/rng.hpp"
#include "core/unit_runner.hpp"
#include "networks/curvature.hpp"
#include "networks/data_parallel.hpp"
#include "networks/spectrum_units.hpp"
#include "spectral/eigs.hpp"
#include "networks/device_lanczos.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/slq.hpp"

namespace batchrmt::networks {

namespace {

using namespace detail;

void say(const SpectrumRequest& rq, const std::string& msg) {
  if (rq.log) rq.log(msg);
}

spectral::LanczosOptions lanczos_options(const SpectrumRequest& rq, std::size_t steps, std::uint64_t stream,
                                         Eigen::Index P) {
  const bool selective = rq.selective_reorthogonalization, fp32_basis = rq.fp32_basis;
  const std::uint64_t seed = rq.seed;
  spectral::LanczosOptions lo;
  lo.steps = std::min<std::size_t>(steps, static_cast<std::size_t>(P));
  lo.reorth = selective ? spectral::Reorthogonalization::Selective : spectral::Reorthogonalization::Full;
  lo.passes = 2;
  lo.storage = fp32_basis ? spectral::BasisStorage::Fp32 : spectral::BasisStorage::Fp64;
  lo.start = spectral::StartVector::Rademacher;
  lo.seed = seed;
  lo.stream = stream;
  lo.restart_on_breakdown = !selective;  // eigenvalues wanted: continue past an invariant subspace (needs full)
  return lo;
}

void mean_sd_se(const std::vector<double>& x, double& mean, double& sd, double& se) {
  mean = sd = se = kNaN;
  if (x.empty()) return;
  mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  if (x.size() < 2) return;
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  sd = std::sqrt(ss / static_cast<double>(x.size() - 1));
  se = sd / std::sqrt(static_cast<double>(x.size()));
}

// `local`: the same operator as `full` when this process computes it alone (its basis may then
// live on its device); nullptr when `full` is spread over MPI ranks.
FullRun run_full(const spectral::AnyOperator& full, const CurvatureOperator* local, const SpectrumRequest& rq,
                 std::size_t spikes) {
  const std::size_t steps = rq.full_lanczos_steps ? rq.full_lanczos_steps : rq.lanczos_steps;
  auto lo = lanczos_options(rq, steps, kFullLanczosStream, full.rows());
  lo.vectors_top = std::min(spikes, lo.steps);
  lo.vectors_bottom = 1;
  FullRun f;
  LanczosBasisPlacement used = LanczosBasisPlacement::host;
  const auto r = local ? curvature_lanczos(*local, lo, rq.lanczos_basis, nullptr, &used) : spectral::lanczos(full, lo);
  f.lanczos = lanczos_record(r, used);
  const std::size_t m = r.ritz_values.size();
  f.top = r.ritz_values.back();
  f.top_res = r.residuals.back();
  f.bottom = r.ritz_values.front();
  f.bottom_res = r.residuals.front();
  // Ritz vectors come with ritz_vector_indices into the ascending values: order them
  // descending for the spikes, then the bottom one.
  std::vector<std::pair<std::size_t, Eigen::Index>> cols;
  for (Eigen::Index c = 0; c < r.ritz_vectors.cols(); ++c) cols.emplace_back(r.ritz_vector_indices[static_cast<std::size_t>(c)], c);
  std::sort(cols.begin(), cols.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Eigen::Index> order;
  for (const auto& [idx, c] : cols)
    if (idx + lo.vectors_top >= m && order.size() < lo.vectors_top) {
      order.push_back(c);
      f.spikes.push_back(r.ritz_values[idx]);
      f.spike_res.push_back(r.residuals[idx]);
    }
  Eigen::Index bottom_col = -1;
  for (const auto& [idx, c] : cols)
    if (idx == 0) bottom_col = c;
  if (bottom_col < 0 && !cols.empty()) bottom_col = cols.back().second;
  f.vectors.resize(full.rows(), static_cast<Eigen::Index>(order.size()) + 1);
  for (std::size_t k = 0; k < order.size(); ++k) f.vectors.col(static_cast<Eigen::Index>(k)) = r.ritz_vectors.col(order[k]);
  f.vectors.col(static_cast<Eigen::Index>(order.size())) = r.ritz_vectors.col(bottom_col);
  for (Eigen::Index c = 0; c < f.vectors.cols(); ++c) f.vectors.col(c).normalize();
  f.have_vectors = true;
  return f;
}

// The fluctuation eps_B = H_B - H_full of a batch operator (docs/theory.md 5.8): Lanczos with the
// batch run's start, its extremes and the Weyl slack against the full run's top (value, residual).
FluctuationRecord fluctuation_run(const spectral::AnyOperator& eps, const spectral::LanczosOptions& fo, double top, double top_res,
                                  double full_top, double full_top_res) {
  const auto fr = spectral::lanczos(eps, fo);
  FluctuationRecord e;
  e.alpha = fr.alpha;
  e.beta = fr.beta;
  e.ritz_values = fr.ritz_values;
  e.residuals = fr.residuals;
  e.top = fr.ritz_values.back();
  e.top_residual = fr.residuals.back();
  e.bottom = fr.ritz_values.front();
  e.bottom_residual = fr.residuals.front();
  e.weyl_slack = full_top + e.top + e.top_residual + top_res + full_top_res - top;
  e.applications = fr.applications;
  e.seconds = fr.wall_seconds;
  return e;
}

// Stochastic Lanczos quadrature of a batch operator: nodes and weights per probe (NaN padded).
SlqRecord slq_run(const CurvatureOperator& op, const SpectrumRequest& rq, int s) {
  spectral::SlqOptions so;
  so.steps = std::min<std::size_t>(rq.lanczos_steps, static_cast<std::size_t>(op.rows()));
  so.probes = rq.slq_probes;
  so.seed = rq.seed;
  so.stream = kSlqStream + 1000 * static_cast<std::uint64_t>(s);
  const auto sl = spectral::slq(op, so);
  const auto rows = static_cast<Eigen::Index>(sl.runs.size());
  SlqRecord q;
  q.nodes = Eigen::MatrixXd::Constant(rows, static_cast<Eigen::Index>(so.steps), kNaN);
  q.weights = q.nodes;
  for (Eigen::Index l = 0; l < rows; ++l)
    for (std::size_t i = 0; i < sl.runs[static_cast<std::size_t>(l)].ritz_values.size(); ++i) {
      q.nodes(l, static_cast<Eigen::Index>(i)) = sl.runs[static_cast<std::size_t>(l)].ritz_values[i];
      q.weights(l, static_cast<Eigen::Index>(i)) = sl.runs[static_cast<std::size_t>(l)].weights[i];
    }
  q.applications = sl.applications;
  return q;
}

// One (B, subset) Lanczos run (docs/theory.md 5.5) as a unit; `full_for_eps` (the full-data operator,
// possibly spread over the ranks) is needed when rq.fluctuation_steps > 0, together with the
// full run's top Ritz value and residual for the Weyl slack.
SubsetRecord subset_unit(const CurvatureOperator& full, const spectral::AnyOperator* full_for_eps, const SpectrumRequest& rq,
                         std::int64_t B, int s, double full_top, double full_top_res) {
  const std::size_t N = rq.data.size();
  const auto P = full.rows();
  const auto idx = batch_indices(N, static_cast<std::size_t>(B), rq.seed, kSubsetStream + static_cast<std::uint64_t>(s));
  const CurvatureOperator op = full.with_indices(idx);
  const auto lo = lanczos_options(rq, rq.lanczos_steps, kBatchLanczosStream + static_cast<std::uint64_t>(s), P);
  LanczosBasisPlacement used = LanczosBasisPlacement::host;  // automatic falls back to host when the device is full
  const auto r = curvature_lanczos(op, lo, rq.lanczos_basis, nullptr, &used);
  SubsetRecord u;
  u.lanczos = lanczos_record(r, used);
  u.indices.assign(idx.begin(), idx.end());
  u.seed_streams = {static_cast<std::int64_t>(rq.seed), static_cast<std::int64_t>(kSubsetStream + static_cast<std::uint64_t>(s)),
                    static_cast<std::int64_t>(lo.stream)};
  u.B = B;
  u.top = r.ritz_values.back();
  u.top_residual = r.residuals.back();
  u.bottom = r.ritz_values.front();
  u.bottom_residual = r.residuals.front();
  if (rq.fluctuation_steps > 0)
    u.fluctuation = fluctuation_run(make_fluctuation_operator(op, *full_for_eps), lanczos_options(rq, rq.fluctuation_steps, lo.stream, P),
                                    u.top, u.top_residual, full_top, full_top_res);
  if (rq.top_k > 0) {
    spectral::EigsOptions eo;
    eo.nev = std::min<std::size_t>(rq.top_k, static_cast<std::size_t>(P) - 1);
    eo.seed = rq.seed;
    eo.stream = lo.stream;
    const auto e = spectral::eigs_spectra(op, eo);
    u.top_k = TopKRecord{e.values, e.residuals, spectral::to_string(e.status), e.applications};
  }
  if (rq.slq_probes > 0) u.slq = slq_run(op, rq, s);
  return u;
}

// The state one measurement's steps share: the request, the sink and, under MPI (rq.over_ranks,
// collective), who decides. Rank 0 reads and writes the sink and decides; products of the
// full-data operator are spread over the ranks (rank 0 runs the Lanczos recurrences), the noise
// samples are split, and the (B, subset) runs are dealt out whole, one rank each.
struct SpectrumRun {
  const SpectrumRequest& rq;
  SpectrumSink* sink;
  const CurvatureOperator& full;
  const MpiContext& mpi;
  bool spread;
  bool root;

  template <class S>
  std::optional<S> load(const std::string& unit, const RecordFields<S>& fields) const {
    return root ? load_record(sink, unit, fields) : std::nullopt;
  }
  bool rank0_says(bool v) const {
    std::int64_t x = v ? 1 : 0;
    if (spread) mpi.broadcast(x);
    return x != 0;
  }
  void with_full(const std::function<void(const spectral::AnyOperator&)>& body) const {
    if (spread)
      lead_products(full, body);
    else
      body(spectral::AnyOperator(full));
  }
};

// The request's checks before any work; returns N.
std::size_t check_request(const SpectrumRequest& rq) {
  const std::size_t N = rq.data.size();
  if (N == 0) throw InvalidInput("spectrum: the dataset is empty.");
  check_at_least("spectrum", "subsets", rq.subsets, 1);
  if (!rq.subsets_per_batch.empty() && rq.subsets_per_batch.size() != rq.batch_sizes.size())
    throw InvalidInput("spectrum: subsets_per_batch has " + std::to_string(rq.subsets_per_batch.size()) +
                       " entries, but must have one per batch size (" + std::to_string(rq.batch_sizes.size()) + ").");
  for (std::size_t i = 0; i < rq.subsets_per_batch.size(); ++i)
    if (rq.batch_sizes[i] != kFullBatch) check_at_least("spectrum", "subsets_per_batch", rq.subsets_per_batch[i], 1);
  check_at_least("spectrum", "lanczos_steps", rq.lanczos_steps, std::size_t{1});
  if (rq.batch_sizes.empty()) throw InvalidInput("--batch-sizes is empty, but must list full and/or batch sizes.");
  for (auto B : rq.batch_sizes)
    if (B != kFullBatch && (B < 1 || static_cast<std::size_t>(B) > N))
      throw InvalidInput("--batch-sizes holds " + std::to_string(B) + ", but every batch size must be 'full' or in [1, " +
                         std::to_string(N) + "] (the training-set size).");
  if (rq.noise_samples > N)
    throw InvalidInput("--noise-samples is " + std::to_string(rq.noise_samples) + ", but must be at most N = " +
                       std::to_string(N) + ".");
  return N;
}

// Every convention of the measurement, recorded beside its numbers (docs/theory.md 5.1).
std::map<std::string, std::string> conventions_of(const SpectrumRun& run) {
  const SpectrumRequest& rq = run.rq;
  const CurvatureOperator& full = run.full;
  const auto P = full.rows();
  const auto& mpi = run.mpi;
  const bool spread = run.spread;
  std::map<std::string, std::string> c = full.conventions();
  c["subsets"] = "batch s of size B: first B entries of RandomStream(seed, " + std::to_string(kSubsetStream) +
                 " + s).permutation(N) (nested across B)";
  c["lanczos"] = std::string(rq.selective_reorthogonalization ? "selective orthogonalisation"
                                                              : "full reorthogonalisation (2 passes)") +
                 (rq.fp32_basis ? ", float32 basis" : ", float64 basis") +
                 ", Rademacher start from RandomStream(seed, 0x4c000000 + s) for subset s, "
                 "RandomStream(seed, 0x4c100000) for the full operator";
  {
    const auto placed = resolve_lanczos_basis(full, lanczos_options(rq, rq.lanczos_steps, 0, P), rq.lanczos_basis);
    c["lanczos_basis"] = placed == LanczosBasisPlacement::device
                             ? "device (" + full.options().device + "): basis and reorthogonalisation on it"
                             : std::string("host memory");
    if (rq.over_ranks && mpi.active())
      c["lanczos_basis"] += "; the full-data run (products over MPI ranks) keeps its basis on rank 0's host";
  }
  c["noise_sample"] = "first M entries of RandomStream(seed, 0x4e000000).permutation(N)";
  c["seed"] = std::to_string(rq.seed);
  for (const auto& [k, v] : rq.attributes) c[k] = v;
  if (spread) {
    c["mpi_ranks"] = std::to_string(mpi.size());
    c["mpi_data_parallel"] =
        "full-data products: chunks of S dealt in contiguous blocks over the ranks, partial products summed by MPI_Reduce "
        "(float64) on rank 0, which runs Lanczos; noise samples split in contiguous blocks; (B, subset) runs one rank each";
  }
  return c;
}

// /spectrum/full: read back, or Lanczos on the full-data operator.
FullRun measure_full(const SpectrumRun& run, std::size_t spikes) {
  const SpectrumRequest& rq = run.rq;
  const auto N = rq.data.size();
  const auto P = run.full.rows();
  FullRun f;
  std::optional<FullRun> loaded = run.load("/spectrum/full", full_fields());
  if (run.rank0_says(loaded.has_value())) {
    if (run.root) f = std::move(*loaded);
    say(rq, "full: read back from the result file");
  } else {
    say(rq, "full: Lanczos on the full-data operator (N = " + std::to_string(N) + ", P = " + std::to_string(P) +
                (run.spread ? ", products over " + std::to_string(run.mpi.size()) + " MPI ranks" : std::string()) + ")");
    run.with_full([&](const spectral::AnyOperator& op) { f = run_full(op, run.spread ? nullptr : &run.full, rq, spikes); });
    if (run.root && run.sink) run.sink->save("/spectrum/full", full_unit(f, rq.store_vectors));
  }
  return f;
}

// /spectrum/noise: read back, or the per-sample products along phi_top and phi_bottom (repeating
// the full-data run when its unit was stored without the Ritz vectors).
void measure_noise(const SpectrumRun& run, FullRun& f, std::size_t spikes, SpectrumResult& res) {
  const SpectrumRequest& rq = run.rq;
  std::optional<NoiseRecord> loaded = run.load("/spectrum/noise", noise_fields());
  if (run.rank0_says(loaded.has_value())) {
    if (run.root) {
      res.noise_top = loaded->top;
      res.noise_bottom = loaded->bottom;
    }
    say(rq, "noise: read back from the result file");
  } else {
    if (run.rank0_says(!f.have_vectors)) {
      // The full unit was stored without its vectors: the run is deterministic, repeat it.
      say(rq, "noise: repeating the full-data Lanczos run for its Ritz vectors");
      FullRun again;
      run.with_full([&](const spectral::AnyOperator& op) { again = run_full(op, run.spread ? nullptr : &run.full, rq, spikes); });
      if (run.root && std::abs(again.top - f.top) > 1e-8 * std::max(1.0, std::abs(f.top)))
        throw NumericalFailure("the repeated full-data Lanczos run gave the top Ritz value " + std::to_string(again.top) +
                               ", not the stored " + std::to_string(f.top) + "; the operator is not reproducible.");
      f.vectors = again.vectors;
      f.have_vectors = true;
    }
    if (run.spread) {  // every rank needs the directions
      ByteWriter w;
      if (run.root) w.put(f.vectors);
      run.mpi.broadcast(w.bytes());
      ByteReader r(w.bytes());
      r.get(f.vectors);
    }
    const auto K = f.vectors.cols() - 1;  // spikes
    const Eigen::VectorXd phi = f.vectors.col(0);
    const Eigen::VectorXd phi_min = f.vectors.col(K);
    std::vector<Eigen::VectorXd> others;
    for (Eigen::Index k = 1; k < K; ++k) others.push_back(f.vectors.col(k));
    const auto samples = batch_indices(rq.data.size(), rq.noise_samples, rq.seed, kNoiseStream);
    say(rq, "noise: " + std::to_string(samples.size()) + " per-sample products along phi_top and phi_bottom");
    auto est = estimate_noise_multi(run.full, {phi, phi_min}, others, samples, run.spread);
    if (run.root) {
      res.noise_top = est[0];
      res.noise_bottom = est[1];
      if (run.sink) run.sink->save("/spectrum/noise", noise_unit(est[0], est[1]));
    }
  }
}

// The (B, subset) units in order (core/unit_runner.hpp): read back, or run (by one rank each, under
// MPI, unless the fluctuation runs need the spread full-data products). Complete on rank 0 only.
std::map<std::string, SubsetRecord> measure_subsets(const SpectrumRun& run, const FullRun& f) {
  const SpectrumRequest& rq = run.rq;
  struct Job {
    std::int64_t B;
    int s;
    std::string unit;
  };
  std::vector<Job> jobs;
  for (std::size_t b = 0; b < rq.batch_sizes.size(); ++b)
    if (rq.batch_sizes[b] != kFullBatch)
      for (int s = 0; s < rq.subsets_for(b); ++s) jobs.push_back({rq.batch_sizes[b], s, subset_unit_path(rq.batch_sizes[b], s)});
  const auto& fields = subset_fields();
  const spectral::AnyOperator* full_for_eps = nullptr;
  auto named = [&](std::size_t j) { return "B = " + std::to_string(jobs[j].B) + ", subset " + std::to_string(jobs[j].s + 1); };
  UnitSteps<SubsetRecord> steps;
  steps.load = [&](std::size_t j) { return run.load(jobs[j].unit, fields); };
  steps.compute = [&](std::size_t j) {
    if (run.root) say(rq, named(j));
    return subset_unit(run.full, full_for_eps, rq, jobs[j].B, jobs[j].s, f.top, f.top_res);
  };
  steps.save = [&](std::size_t j, const SubsetRecord& u) {
    if (run.sink) run.sink->save(jobs[j].unit, fields.values(u));
  };
  steps.encode = [&](const SubsetRecord& u) { return record_bytes(fields.values(u)); };
  steps.decode = [&](std::size_t j, const std::vector<std::uint8_t>& bytes, int owner) {
    say(rq, named(j) + " from rank " + std::to_string(owner));
    return fields.from(record_from_bytes(fields.schema(), bytes), "the spectrum unit " + jobs[j].unit + " from rank " + std::to_string(owner));
  };
  std::vector<std::optional<SubsetRecord>> results(jobs.size());  // stays empty on the ranks that serve products
  if (!run.spread || rq.fluctuation_steps > 0) {
    // One rank runs every subset (eps_B = H_B - H_full needs the full-data products, which are
    // spread over the ranks when spread).
    run.with_full([&](const spectral::AnyOperator& full_op) {
      full_for_eps = &full_op;
      results = run_units(jobs.size(), steps);
    });
  } else {
    results = run_units(jobs.size(), steps, &run.mpi);  // one rank per unit
  }
  std::map<std::string, SubsetRecord> units;
  for (std::size_t j = 0; j < jobs.size(); ++j)
    if (results[j]) units[jobs[j].unit] = std::move(*results[j]);
  return units;
}

// Row b of the result: the full run or the subsets of batch size b, with mean, sd and se.
BatchRow batch_row(const SpectrumRequest& rq, std::size_t b, const FullRun& f, const std::map<std::string, SubsetRecord>& units) {
  const std::int64_t B = rq.batch_sizes[b];
  BatchRow row;
  row.kappa = kNaN;
  row.predicted_top = row.predicted_top_second = row.predicted_top_sd = row.q = kNaN;
  row.predicted_bottom = row.predicted_bottom_second = kNaN;
  if (B == kFullBatch) {
    row.full = true;
    row.B = static_cast<std::int64_t>(rq.data.size());
    row.subsets.push_back(full_measurement(f, rq.seed));
  } else {
    row.B = B;
    for (int s = 0; s < rq.subsets_for(b); ++s)
      row.subsets.push_back(subset_from(units.at(subset_unit_path(B, s)), s));
  }
  std::vector<double> tops, bottoms;
  for (const auto& m : row.subsets) {
    tops.push_back(m.top);
    bottoms.push_back(m.bottom);
  }
  mean_sd_se(tops, row.top_mean, row.top_sd, row.top_se);
  mean_sd_se(bottoms, row.bottom_mean, row.bottom_sd, row.bottom_se);
  std::vector<double> et, eb;
  row.weyl_min_slack = kNaN;
  for (const auto& m : row.subsets)
    if (std::isfinite(m.eps_top)) {
      et.push_back(m.eps_top);
      eb.push_back(m.eps_bottom);
      row.weyl_min_slack = std::isfinite(row.weyl_min_slack) ? std::min(row.weyl_min_slack, m.weyl_slack) : m.weyl_slack;
    }
  double sd = 0;
  mean_sd_se(et, row.eps_top_mean, sd, row.eps_top_se);
  mean_sd_se(eb, row.eps_bottom_mean, sd, row.eps_bottom_se);
  return row;
}

}  // namespace

SpectrumResult measure_spectrum_core(const SpectrumRequest& rq, SpectrumSink* sink) {
  const std::size_t N = check_request(rq);
  std::vector<std::size_t> all(N);
  std::iota(all.begin(), all.end(), std::size_t{0});
  const CurvatureOperator full(rq.model, rq.data, rq.transform, all, rq.curvature);
  const auto& mpi = MpiContext::instance();
  const bool spread = rq.over_ranks && mpi.active();
  const SpectrumRun run{rq, sink, full, mpi, spread, !spread || mpi.is_writer()};

  SpectrumResult res;
  res.N = static_cast<std::int64_t>(N);
  res.P = static_cast<std::int64_t>(full.rows());
  res.conventions = conventions_of(run);
  res.lambda_full = res.lambda_full_residual = res.bottom_full = res.bottom_full_residual = kNaN;
  const bool want_full = rq.noise_samples > 0 || rq.fluctuation_steps > 0 ||
                         std::find(rq.batch_sizes.begin(), rq.batch_sizes.end(), kFullBatch) != rq.batch_sizes.end();
  const std::size_t spikes =
      rq.spikes ? rq.spikes : static_cast<std::size_t>(std::min(std::max(full.classes() - 1, 1), 10));

  FullRun f;
  if (want_full) {
    f = measure_full(run, spikes);
    res.lambda_full = f.top;
    res.lambda_full_residual = f.top_res;
    res.bottom_full = f.bottom;
    res.bottom_full_residual = f.bottom_res;
    res.spike_values = f.spikes;
    res.spike_residuals = f.spike_res;
  }
  if (rq.noise_samples > 0) measure_noise(run, f, spikes, res);
  const auto units = measure_subsets(run, f);
  if (!run.root) return res;  // rows, noise and full-run values live on rank 0
  for (std::size_t b = 0; b < rq.batch_sizes.size(); ++b) res.rows.push_back(batch_row(rq, b, f, units));
  return res;
}

}  // namespace batchrmt::networks
