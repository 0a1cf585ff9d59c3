// The records of a spectrum measurement (networks/curvature_spectrum.cpp) as SpectrumSink
// units, and back: the full-data Lanczos run, the per-sample noise estimate and one (B, subset)
// run. Internal to networks/ (no LibTorch); the layout is docs/hdf5-schema.md's /spectrum.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "networks/curvature.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks::detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline std::vector<std::int64_t> to_int64(const std::vector<std::size_t>& v) {
  return std::vector<std::int64_t>(v.begin(), v.end());
}

// The full-data Lanczos run: its output, the spike Ritz vectors and the extremes.
struct FullRun {
  spectral::LanczosResult lanczos;
  Eigen::MatrixXd vectors;  // spike Ritz vectors (descending values), then the bottom one
  bool have_vectors = false;
  double top = kNaN, top_res = kNaN, bottom = kNaN, bottom_res = kNaN;
  std::vector<double> spikes, spike_res;
  std::string basis_placement;  // where the Lanczos basis was (host / device)
};

// A Lanczos run's output (alpha, beta, Ritz values, weights, residuals, counts, status) into u.
void put_lanczos(UnitData& u, const spectral::LanczosResult& r);

// /spectrum/full; the spike vectors only when store_vectors (and at most 2e7 numbers).
UnitData full_unit(const FullRun& f, bool store_vectors);
FullRun full_from(const UnitData& u);

// /spectrum/noise: the estimates along phi_top and phi_bottom.
UnitData noise_unit(const NoiseEstimate& top, const NoiseEstimate& bottom);
NoiseEstimate noise_from(const UnitData& u, const std::string& prefix);  // "top_" or "bottom_"

// /spectrum/B=<B>/subset=<s>, as the subset's measurement.
SubsetMeasurement subset_from(const UnitData& u, int s);
std::string subset_unit_path(std::int64_t B, int s);

// A unit as bytes for MPI, and back (IoError on trailing bytes).
std::vector<std::uint8_t> encode_unit(const UnitData& u);
UnitData decode_unit(const std::vector<std::uint8_t>& bytes);

}  // namespace batchrmt::networks::detail
