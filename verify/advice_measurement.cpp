#include "verify/advice_measurement.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "core/errors.hpp"
#include "core/unit_runner.hpp"
#include "outputs/record.hpp"

namespace batchrmt::verify {

namespace {

const char* const kNoiseUnit = "/advise/gradient_noise";

// The unit: the noise with the seed and index stream of its sample.
struct GradientNoiseRecord {
  networks::GradientNoise noise;
  std::int64_t seed = 0, index_stream = 0;
};

// A vector of G or s_j^2 as a float64 dataset.
RecordFields<networks::GradientNoise>& vector_field(RecordFields<networks::GradientNoise>& t, const std::string& name,
                                                    Eigen::VectorXd networks::GradientNoise::*member) {
  return t.computed(
      {name, FieldKind::reals, FieldPlace::dataset, Presence::required, ""},
      [member](const networks::GradientNoise& n) -> std::optional<FieldValue> {
        const Eigen::VectorXd& v = n.*member;
        return std::vector<double>(v.data(), v.data() + v.size());
      },
      [member](networks::GradientNoise& n, const FieldValue& v) {
        const auto& x = std::get<std::vector<double>>(v);
        n.*member = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
      });
}

const RecordFields<GradientNoiseRecord>& noise_unit_fields() {
  using N = networks::GradientNoise;
  static const auto noise = [] {
    RecordFields<N> t;
    t.dataset("indices", &N::indices);
    vector_field(t, "mean_gradient", &N::mean_gradient);
    vector_field(t, "variance", &N::variance);
    t.dataset("deviation_norm2", &N::deviation_norm2)
        .dataset("gradient_norm2", &N::gradient_norm2)
        .dataset("trace_sigma", &N::trace)
        .dataset("trace_sigma_se", &N::trace_se)
        .datasets(BATCHRMT_MEMBERS(N, b_simple, b_simple_se));
    return t;
  }();
  using R = GradientNoiseRecord;
  static const auto t = RecordFields<R>()
                            .nested("", &R::noise, noise)
                            .attributes(BATCHRMT_MEMBERS(R, seed, index_stream));
  return t;
}

}  // namespace

networks::GradientNoise gradient_noise_unit(const networks::SpectrumRequest& spectrum, std::size_t samples, std::uint64_t seed,
                                            outputs::Store* store) {
  UnitSteps<GradientNoiseRecord> steps;
  steps.load = [&](std::size_t) { return store ? outputs::load_unit(*store, kNoiseUnit, noise_unit_fields()) : std::nullopt; };
  steps.compute = [&](std::size_t) {
    std::vector<std::size_t> all(spectrum.data.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const networks::CurvatureOperator full(spectrum.model, spectrum.data, spectrum.transform, all, spectrum.curvature);
    return GradientNoiseRecord{networks::measure_gradient_noise(full, samples, seed), static_cast<std::int64_t>(seed),
                               static_cast<std::int64_t>(networks::kNoiseStream)};
  };
  steps.save = [&](std::size_t, const GradientNoiseRecord& r) {
    if (store) outputs::save_unit(*store, kNoiseUnit, r, noise_unit_fields());
  };
  networks::GradientNoise n = run_units(1, steps).front()->noise;
  n.samples = n.indices.size();
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

std::vector<GridSweepRow> run_advice_sweep(GridSweepRequest request, networks::Optimizer optimizer,
                                           const std::vector<const AdviceRow*>& rows) {
  const bool adam = advises_adam(optimizer);
  request.trial.optimizer = optimizer;
  request.batch_sizes.clear();
  request.centers.clear();
  for (const AdviceRow* row : rows) {
    request.batch_sizes.push_back(row->in.B);
    request.centers.push_back(adam ? row->adam_lr : row->sgd_lr);
  }
  return run_grid_sweep(request);
}

void write_advice_sweep(const outputs::Group& root, networks::Optimizer optimizer, const std::vector<GridSweepRow>& rows) {
  const outputs::Group sweep = root.group("advise").group("sweep").group(networks::to_string(optimizer));
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
