// The spectrum measurement with an HDF5 store and the theory-layer predictions: the entry point
// for apps/ and verify/. networks/ measures (networks/curvature.hpp, measure_spectrum_core) and
// links neither outputs/ nor theory/; this file joins the three. No LibTorch, no HDF5 headers.
//
//   SpectrumResult r = measure_spectrum(request, &store);   // or nullptr: nothing written
//   r.rows[k]: B, kappa, top_mean/se, bottom_mean/se, predicted_top (first order),
//              predicted_top_second (refined), q = kappa V_phi / lambda^2, ...
//
// HDF5 layout (below the root of the store):
//   /spectrum                       attributes: every convention (loss, weight decay, BN mode,
//                                   transform, dtype, chunking, parameter order, streams, ...)
//   /spectrum/full                  unit: Lanczos on H_full (alpha, beta, ritz_values, weights,
//                                   residuals, top/bottom with residuals, spike_values, spike_vectors)
//   /spectrum/noise                 unit: per-sample noise (indices, top_/bottom_ norm2, proj2,
//                                   v_phi, v_phi_se, w_phi, v_perp, c_k)
//   /spectrum/B=<B>/subset=<s>      unit: indices, seed_streams, Lanczos output, top/bottom, [top_k], [slq]
//   /spectrum/summary               B (N for full), is_full, kappa, top/bottom mean/se/sd, subsets,
//                                   predicted_top, predicted_top_second, predicted_top_sd, q,
//                                   predicted_bottom, predicted_bottom_second, eps_top/bottom
//                                   mean/se and weyl_min_slack (NaN unless --fluctuation-steps)
#pragma once

#include <optional>
#include <string>

#include "networks/curvature.hpp"
#include "outputs/store.hpp"

namespace batchrmt::verify {

// SpectrumSink over an outputs::Store: a unit is a group whose `status` is complete.
class StoreSpectrumSink final : public networks::SpectrumSink {
 public:
  explicit StoreSpectrumSink(outputs::Store& store) : store_(&store) {}
  std::optional<RecordValues> load(const std::string& unit, const RecordValues& schema) override;
  void save(const std::string& unit, const RecordValues& values) override;

 private:
  outputs::Store* store_;
};

// docs/theory.md 5.7 [DER]: the no-free-parameter predictions per batch size, from the measured
// lambda, V_phi, W_phi, V_perp and c_k (theory/batch_hessian.hpp holds the formulas).
void add_predictions(networks::SpectrumResult& r);

// /spectrum's conventions and attributes and the /spectrum/summary table.
void write_spectrum_summary(outputs::Store& store, const networks::SpectrumResult& r);

// The measurement with resume (store may be null) and predictions; writes the summary.
networks::SpectrumResult measure_spectrum(const networks::SpectrumRequest& request, outputs::Store* store);

}  // namespace batchrmt::verify
