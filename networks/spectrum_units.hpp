// The records of a spectrum measurement (networks/curvature_spectrum.cpp) as SpectrumSink units,
// each with one field table (core/record_fields.hpp) that serves writing, reading and the MPI
// transfer: the full-data Lanczos run, the per-sample noise estimate and one (B, subset) run.
// Internal to networks/ (no LibTorch); the layout is docs/hdf5-schema.md's /spectrum.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/record_fields.hpp"
#include "networks/curvature.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks::detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A Lanczos run as stored: its output, counts and how it ran.
struct LanczosRecord {
  std::vector<double> alpha, beta, ritz_values, weights, residuals;
  std::size_t steps = 0, restarts = 0;
  std::int64_t applications = 0;
  double wall_seconds = 0, operator_seconds = 0, reorth_seconds = 0;
  std::string status, reorthogonalization, start_vector;
  std::string basis;                       // where its Krylov basis was (host / device)
  std::vector<std::int64_t> seed_stream;   // {seed, stream} of its start vector
};
LanczosRecord lanczos_record(const spectral::LanczosResult& r, LanczosBasisPlacement basis);

// /spectrum/full: the full-data Lanczos run, the spike Ritz vectors and the extremes.
struct FullRun {
  LanczosRecord lanczos;
  Eigen::MatrixXd vectors;  // spike Ritz vectors (descending values), then the bottom one
  bool have_vectors = false;
  double top = kNaN, top_res = kNaN, bottom = kNaN, bottom_res = kNaN;
  std::vector<double> spikes, spike_res;
};
const RecordFields<FullRun>& full_fields();
// The unit's values; the spike vectors only when store_vectors (and at most 2e7 numbers).
RecordValues full_unit(const FullRun& f, bool store_vectors);

// /spectrum/noise: the estimates along phi_top and phi_bottom (the sample, its size and time shared).
struct NoiseRecord {
  NoiseEstimate top, bottom;
  std::string estimator;
};
const RecordFields<NoiseRecord>& noise_fields();
RecordValues noise_unit(const NoiseEstimate& top, const NoiseEstimate& bottom);

// /spectrum/B=<B>/subset=<s>: Lanczos on H_B and, when asked for, on eps_B = H_B - H_full
// (docs/theory.md 5.8), Spectra's top-k and SLQ.
struct FluctuationRecord {
  std::vector<double> alpha, beta, ritz_values, residuals;
  double top = kNaN, top_residual = kNaN, bottom = kNaN, bottom_residual = kNaN, weyl_slack = kNaN;
  std::int64_t applications = 0;
  double seconds = 0;
};
struct TopKRecord {
  std::vector<double> values, residuals;
  std::string status;
  std::int64_t applications = 0;
};
struct SlqRecord {
  Eigen::MatrixXd nodes, weights;  // probes x steps (NaN past a probe's Ritz values)
  std::int64_t applications = 0;
};
struct SubsetRecord {
  LanczosRecord lanczos;
  std::vector<std::int64_t> indices;
  std::vector<std::int64_t> seed_streams;  // {seed, index stream, Lanczos stream}
  std::int64_t B = 0;
  double top = kNaN, top_residual = kNaN, bottom = kNaN, bottom_residual = kNaN;
  std::optional<FluctuationRecord> fluctuation;
  std::optional<TopKRecord> top_k;
  std::optional<SlqRecord> slq;
};
const RecordFields<SubsetRecord>& subset_fields();

// The subset's measurement (the batch row's entry s), and the full run's (the full row's entry).
SubsetMeasurement subset_from(const SubsetRecord& u, int s);
SubsetMeasurement full_measurement(const FullRun& f, std::uint64_t seed);
std::string subset_unit_path(std::int64_t B, int s);

template <class S>
std::optional<S> load_record(SpectrumSink* sink, const std::string& unit, const RecordFields<S>& fields) {
  if (!sink) return std::nullopt;
  std::optional<RecordValues> values = sink->load(unit, fields.schema());
  if (!values) return std::nullopt;
  return fields.from(*values, "the spectrum unit " + unit);
}

}  // namespace batchrmt::networks::detail
