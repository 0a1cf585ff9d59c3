// What `batchrmt advise` measures beyond the spectrum (verify/spectrum_measurement.hpp): the
// gradient noise at the weights, kept as the unit /advise/gradient_noise of the advise store so
// that a resumed run reads it back, and the short learning-rate sweeps of --measure (the grid
// sweep of verify/lr_grid_sweep.hpp, one work file per optimiser beside the store, so an
// interrupted sweep loses at most the batch size in flight). Built with LibTorch only.
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <cstdint>
#include <string>
#include <vector>

#include "networks/curvature.hpp"
#include "networks/gradient_noise.hpp"
#include "outputs/store.hpp"
#include "verify/learning_rate_advice.hpp"
#include "verify/lr_grid_sweep.hpp"

namespace batchrmt::verify {

// measure_gradient_noise at the weights of `spectrum` over its whole population (the full-data
// operator of its model, data, transform and curvature options), a unit of the resumable runner
// (core/unit_runner.hpp) at /advise/gradient_noise (store may be null: nothing kept). The unit
// holds G, s_j^2, the sampled indices and d_i; the operator is built only when the unit is not
// already complete in the store.
networks::GradientNoise gradient_noise_unit(const networks::SpectrumRequest& spectrum, std::size_t samples, std::uint64_t seed,
                                            outputs::Store* store);

// The table's inputs from the spectrum (the rows of batch sizes other than full) and the noise.
AdviceInputs advice_inputs(const networks::SpectrumResult& spectrum, const networks::GradientNoise& noise, double momentum,
                           double beta1, double adam_eps);

// One optimiser's sweep at the given rows, centred on the batch-spectrum prediction of each; the
// trial options' optimiser is set from `optimizer` (sgd or adam).
std::vector<GridSweepRow> run_advice_sweep(GridSweepRequest request, networks::Optimizer optimizer,
                                           const std::vector<const AdviceRow*>& rows);

// The trials of a sweep under /advise/sweep/<optimizer>/B=<B> (grid, lr, seed, loss_max_ratio,
// steps, reason) of the result file.
void write_advice_sweep(const outputs::Group& root, networks::Optimizer optimizer, const std::vector<GridSweepRow>& rows);

}  // namespace batchrmt::verify
#endif
