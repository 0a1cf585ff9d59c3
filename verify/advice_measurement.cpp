#include "verify/advice_measurement.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "core/errors.hpp"

namespace batchrmt::verify {

namespace {
const char* const kNoiseUnit = "/advise/gradient_noise";
}

networks::GradientNoise gradient_noise_unit(const networks::CurvatureOperator& full, std::size_t samples, std::uint64_t seed,
                                            outputs::Store* store) {
  networks::GradientNoise n;
  if (store && store->is_complete(kNoiseUnit)) {
    const outputs::Group g = store->root().group(std::string(kNoiseUnit).substr(1));
    n.indices = g.read_int_vector("indices");
    n.mean_gradient = g.read_vector("mean_gradient");
    n.variance = g.read_vector("variance");
    const Eigen::VectorXd d = g.read_vector("deviation_norm2");
    n.deviation_norm2.assign(d.data(), d.data() + d.size());
    n.samples = n.indices.size();
    n.gradient_norm2 = g.read_double("gradient_norm2");
    n.trace = g.read_double("trace_sigma");
    n.trace_se = g.read_double("trace_sigma_se");
    n.b_simple = g.read_double("b_simple");
    n.b_simple_se = g.read_double("b_simple_se");
    return n;
  }
  n = networks::measure_gradient_noise(full, samples, seed);
  if (!store) return n;
  const outputs::Group g = store->begin_unit(kNoiseUnit);
  g.write("indices", n.indices);
  g.write("mean_gradient", n.mean_gradient);
  g.write("variance", n.variance);
  g.write("deviation_norm2", n.deviation_norm2);
  g.write_scalar("gradient_norm2", n.gradient_norm2);
  g.write_scalar("trace_sigma", n.trace);
  g.write_scalar("trace_sigma_se", n.trace_se);
  g.write_scalar("b_simple", n.b_simple);
  g.write_scalar("b_simple_se", n.b_simple_se);
  g.set_attribute("seed", static_cast<std::int64_t>(seed));
  g.set_attribute("index_stream", static_cast<std::int64_t>(networks::kNoiseStream));
  store->complete_unit(g);
  return n;
}

AdviceInputs advice_inputs(const networks::SpectrumResult& spectrum, const networks::GradientNoise& noise, double momentum,
                           double beta1, double adam_eps) {
  if (!spectrum.noise_top) throw NumericalFailure("advise: the spectrum measurement holds no V_phi (noise samples were 0).");
  AdviceInputs in;
  in.N = spectrum.N;
  in.P = spectrum.P;
  in.lambda = spectrum.lambda_full;
  in.lambda_residual = spectrum.lambda_full_residual;
  in.v_phi = spectrum.noise_top->v_phi;
  in.v_phi_se = spectrum.noise_top->v_phi_se;
  in.noise_samples = spectrum.noise_top->samples;
  in.gradient_norm2 = noise.gradient_norm2;
  in.trace_sigma = noise.trace;
  in.trace_sigma_se = noise.trace_se;
  in.gradient_samples = noise.samples;
  in.momentum = momentum;
  in.beta1 = beta1;
  in.adam_eps = adam_eps;
  for (const auto& row : spectrum.rows) {
    if (row.full) continue;
    BatchTopInput b;
    b.B = row.B;
    b.kappa = row.kappa;
    b.top = row.top_mean;
    b.top_se = row.top_se;
    b.subsets = static_cast<int>(row.subsets.size());
    b.adam_preconditioner = networks::isotropic_adam_preconditioner(noise, row.kappa, adam_eps);
    in.batches.push_back(b);
  }
  return in;
}

std::vector<GridSweepRow> run_advice_sweep(GridSweepRequest request, const std::string& optimizer,
                                           const std::vector<const AdviceRow*>& rows) {
  if (optimizer != "sgd" && optimizer != "adam")
    throw InvalidInput("advise: optimizer is '" + optimizer + "', but must be sgd or adam.");
  request.trial.optimizer = networks::parse_optimizer(optimizer, "advise: optimizer");
  request.batch_sizes.clear();
  request.centers.clear();
  for (const AdviceRow* row : rows) {
    request.batch_sizes.push_back(row->in.B);
    request.centers.push_back(optimizer == "adam" ? row->adam_lr : row->sgd_lr);
  }
  return run_grid_sweep(request);
}

void write_advice_sweep(const outputs::Group& root, const std::string& optimizer, const std::vector<GridSweepRow>& rows) {
  const outputs::Group sweep = root.group("advise").group("sweep").group(optimizer);
  for (const auto& row : rows) {
    const outputs::Group g = sweep.group("B=" + std::to_string(row.B));
    g.write("grid", row.grid);
    outputs::write_column(g, "lr", row.trials, &GridTrial::lr);
    outputs::write_column(g, "seed", row.trials, &GridTrial::seed);
    outputs::write_column(g, "loss_max_ratio", row.trials, &GridTrial::loss_max_ratio);
    outputs::write_column(g, "steps", row.trials, &GridTrial::steps);
    g.write("reason", row.reasons);
    g.set_attribute("center", row.center);
    g.set_attribute("seconds", row.seconds);
  }
}

}  // namespace batchrmt::verify
#endif
