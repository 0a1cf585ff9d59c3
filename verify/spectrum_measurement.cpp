// The spectrum measurement joined to its HDF5 store and the theory-layer predictions (see
// spectrum_measurement.hpp). Built with LibTorch only (networks/ is not linked otherwise).
#ifdef BATCHRMT_WITH_TORCH
#include "verify/spectrum_measurement.hpp"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>
#include <vector>

#include "outputs/record.hpp"
#include "theory/batch_hessian.hpp"

namespace batchrmt::verify {

using networks::BatchRow;
using networks::SpectrumRequest;
using networks::SpectrumResult;

std::optional<RecordValues> StoreSpectrumSink::load(const std::string& unit, const RecordValues& schema) {
  if (!store_->is_complete(unit)) return std::nullopt;
  return outputs::read_values(store_->root().group(unit.substr(1)), schema);
}

void StoreSpectrumSink::save(const std::string& unit, const RecordValues& values) {
  const outputs::Group g = store_->begin_unit(unit);
  outputs::write_values(g, values);
  store_->complete_unit(g);
}

void add_predictions(SpectrumResult& r) {
  for (auto& row : r.rows) {
    row.kappa = theory::kappa_factor(r.N, row.B);
    if (r.noise_top) {
      const auto& e = *r.noise_top;
      const double lam = e.lambda;
      row.predicted_top = theory::first_order_shift(lam, row.kappa, e.v_phi);
      // Spikes degenerate with lambda (gap within the Ritz residuals, or 1e-6 relative) make the
      // non-degenerate second-order expansion meaningless: then predicted_top_second is NaN.
      std::vector<double> others, c;
      bool degenerate = false;
      const double res1 = r.spike_residuals.empty() ? 0.0 : r.spike_residuals[0];
      for (std::size_t k = 1; k < r.spike_values.size() && k - 1 < e.c.size(); ++k) {
        const double resk = k < r.spike_residuals.size() ? r.spike_residuals[k] : 0.0;
        if (std::abs(lam - r.spike_values[k]) <= std::max(1e-6 * std::abs(lam), res1 + resk)) degenerate = true;
        others.push_back(r.spike_values[k]);
        c.push_back(e.c[k - 1]);
      }
      row.predicted_top_second = degenerate ? std::numeric_limits<double>::quiet_NaN()
                                            : theory::second_order_shift(lam, row.kappa, e.v_perp, others, c);
      row.predicted_top_sd = theory::first_order_sd(row.kappa, e.w_phi);
      row.q = theory::regime_ratio(lam, row.kappa, e.v_phi);
    }
    if (r.noise_bottom) {
      const auto& e = *r.noise_bottom;
      row.predicted_bottom = theory::first_order_shift(e.lambda, row.kappa, e.v_phi);
      row.predicted_bottom_second = theory::second_order_shift(e.lambda, row.kappa, e.v_perp, {}, {});
    }
  }
}

namespace {

// /spectrum's attributes beside the conventions (the noise ones when it was measured).
const RecordFields<SpectrumResult>& spectrum_fields() {
  using R = SpectrumResult;
  using E = networks::NoiseEstimate;
  static const auto t = RecordFields<R>()
                            .attributes(BATCHRMT_MEMBERS(R, N, P, lambda_full, lambda_full_residual, bottom_full,
                                                         bottom_full_residual))
                            .section("noise", &R::noise_top,
                                     RecordFields<E>()
                                         .attributes(BATCHRMT_MEMBERS(E, v_phi, v_phi_se, w_phi, v_perp))
                                         .attribute("noise_samples", &E::samples));
  return t;
}

// /spectrum/summary: one dataset per field, one entry per batch size.
const RecordFields<BatchRow>& summary_fields() {
  using Row = BatchRow;
  static const auto t = [] {
    auto fields = RecordFields<Row>().dataset("B", &Row::B).dataset("is_full", &Row::full);
    fields.computed({"subsets", FieldKind::integer, FieldPlace::dataset, Presence::required, ""},
                    [](const Row& row) { return FieldValue(static_cast<std::int64_t>(row.subsets.size())); },
                    [](Row&, const FieldValue&) {});
    for (const auto& [name, member] : std::initializer_list<std::pair<const char*, double Row::*>>{
             {"kappa", &Row::kappa},
             {"top_mean", &Row::top_mean},
             {"top_se", &Row::top_se},
             {"top_sd", &Row::top_sd},
             {"bottom_mean", &Row::bottom_mean},
             {"bottom_se", &Row::bottom_se},
             {"bottom_sd", &Row::bottom_sd},
             {"predicted_top", &Row::predicted_top},
             {"predicted_top_second", &Row::predicted_top_second},
             {"predicted_top_sd", &Row::predicted_top_sd},
             {"q", &Row::q},
             {"predicted_bottom", &Row::predicted_bottom},
             {"predicted_bottom_second", &Row::predicted_bottom_second},
             {"eps_top_mean", &Row::eps_top_mean},
             {"eps_top_se", &Row::eps_top_se},
             {"eps_bottom_mean", &Row::eps_bottom_mean},
             {"eps_bottom_se", &Row::eps_bottom_se},
             {"weyl_min_slack", &Row::weyl_min_slack}})
      fields.dataset(name, member);
    return fields;
  }();
  return t;
}

}  // namespace

void write_spectrum_summary(outputs::Store& store, const SpectrumResult& r) {
  const outputs::Group g = store.root().group("spectrum");
  for (const auto& [k, v] : r.conventions) g.set_attribute(k, v);
  outputs::write_record(g, r, spectrum_fields());
  outputs::write_table(g.group("summary"), r.rows, summary_fields());
}

SpectrumResult measure_spectrum(const SpectrumRequest& request, outputs::Store* store) {
  std::optional<StoreSpectrumSink> sink;
  if (store) sink.emplace(*store);
  SpectrumResult r = measure_spectrum_core(request, store ? &*sink : nullptr);
  add_predictions(r);
  if (store) {
    write_spectrum_summary(*store, r);
    store->flush();
  }
  return r;
}

}  // namespace batchrmt::verify
#endif  // BATCHRMT_WITH_TORCH
