// The records of a spectrum measurement and their field tables (see spectrum_units.hpp).
#include "networks/spectrum_units.hpp"

namespace batchrmt::networks::detail {

namespace {

constexpr const char* kNoiseEstimator =
    "u_i = h_i phi - H_full phi on a without-replacement sample; V = mean ||u_i||^2, W = mean (phi^T u_i)^2, "
    "V_perp = V - W, c_k = mean (phi_k^T u_i)^2; se = sd sqrt((1 - M/N)/M)";
constexpr const char* kSpikeVectors = "columns: top Ritz vectors of H_full in descending order, then the bottom one";
constexpr auto kReal = FieldKind::real;  // counts kept as float64 attributes, as the layout has them
constexpr auto kOmit = Presence::omit_when_empty;

const RecordFields<LanczosRecord>& lanczos_fields() {
  using L = LanczosRecord;
  static const auto t = RecordFields<L>()
                            .dataset("alpha", &L::alpha)
                            .dataset("beta", &L::beta, kOmit)
                            .datasets(BATCHRMT_MEMBERS(L, ritz_values, weights, residuals))
                            .attribute("steps", &L::steps, kReal)
                            .attribute("applications", &L::applications, kReal)
                            .attributes(BATCHRMT_MEMBERS(L, wall_seconds, operator_seconds, reorth_seconds))
                            .attribute("restarts", &L::restarts, kReal)
                            .attribute("lanczos_status", &L::status)
                            .attributes(BATCHRMT_MEMBERS(L, reorthogonalization, start_vector))
                            .attribute("lanczos_basis", &L::basis)
                            .dataset("lanczos_seed_stream", &L::seed_stream);
  return t;
}

// The fields of one direction's estimate (prefixed top_ or bottom_ in the unit).
const RecordFields<NoiseEstimate>& direction_fields() {
  using E = NoiseEstimate;
  static const auto t = RecordFields<E>()
                            .attributes(BATCHRMT_MEMBERS(E, lambda, v_phi, v_phi_se, w_phi, w_phi_se, v_perp, v_perp_se,
                                                         h_phi_residual))
                            .datasets(BATCHRMT_MEMBERS(E, norm2, proj2));
  return t;
}

}  // namespace

LanczosRecord lanczos_record(const spectral::LanczosResult& r, LanczosBasisPlacement basis) {
  return {r.alpha, r.beta, r.ritz_values, r.weights, r.residuals, r.steps, r.restarts, r.applications, r.wall_seconds,
          r.operator_seconds, r.reorth_seconds, spectral::to_string(r.status),
          std::string(spectral::to_string(r.reorth)) + " x" + std::to_string(r.reorth_passes), spectral::to_string(r.start),
          to_string(basis), {static_cast<std::int64_t>(r.seed), static_cast<std::int64_t>(r.stream)}};
}

const RecordFields<FullRun>& full_fields() {
  static const auto t =
      RecordFields<FullRun>()
          .nested("", &FullRun::lanczos, lanczos_fields())
          .attribute("top", &FullRun::top)
          .attribute("top_residual", &FullRun::top_res)
          .attribute("bottom", &FullRun::bottom)
          .attribute("bottom_residual", &FullRun::bottom_res)
          .dataset("spike_values", &FullRun::spikes)
          .dataset("spike_residuals", &FullRun::spike_res)
          // P x (spikes + 1): the spikes (descending), then phi_bottom; with its description beside it.
          .computed({"spike_vectors", FieldKind::matrix, FieldPlace::dataset, kOmit, ""},
                    [](const FullRun& f) { return FieldValue(f.vectors); },
                    [](FullRun& f, const FieldValue& v) {
                      f.vectors = std::get<Eigen::MatrixXd>(v);
                      f.have_vectors = true;
                    })
          .computed({"spike_vectors", FieldKind::text, FieldPlace::attribute, kOmit, ""},
                    [](const FullRun& f) { return FieldValue(std::string(f.vectors.size() > 0 ? kSpikeVectors : "")); },
                    [](FullRun&, const FieldValue&) {});
  return t;
}

RecordValues full_unit(const FullRun& f, bool store_vectors) {
  RecordValues values = full_fields().values(f);
  const double numbers = static_cast<double>(f.vectors.rows()) * static_cast<double>(f.vectors.cols());
  if (!(store_vectors && numbers <= 2e7))
    for (auto& e : values)
      if (e.spec.name == "spike_vectors") e.value.reset();
  return values;
}

const RecordFields<NoiseRecord>& noise_fields() {
  using E = NoiseEstimate;
  static const auto t = [] {
    auto fields = RecordFields<NoiseRecord>()
                      .nested("top_", &NoiseRecord::top, direction_fields())
                      .nested("top_", &NoiseRecord::top, RecordFields<E>().dataset("c", &E::c, kOmit).dataset("c_se", &E::c_se, kOmit))
                      .nested("bottom_", &NoiseRecord::bottom, direction_fields())
                      .attribute("estimator", &NoiseRecord::estimator);
    // One sample serves both directions: stored once, read back into both.
    const auto shared = RecordFields<E>()
                            .dataset("indices", &E::indices)
                            .attribute("samples", &E::samples, kReal)
                            .attribute("population", &E::population, kReal)
                            .attribute("seconds", &E::seconds);
    for (const auto& e : shared.entries())
      fields.computed(e.spec, [get = e.get](const NoiseRecord& r) { return get(r.top); },
                      [set = e.set](NoiseRecord& r, const FieldValue& v) {
                        set(r.top, v);
                        set(r.bottom, v);
                      });
    return fields;
  }();
  return t;
}

RecordValues noise_unit(const NoiseEstimate& top, const NoiseEstimate& bottom) {
  return noise_fields().values(NoiseRecord{top, bottom, kNoiseEstimator});
}

namespace {

const RecordFields<FluctuationRecord>& fluctuation_fields() {
  using F = FluctuationRecord;
  static const auto t = RecordFields<F>()
                            .dataset("eps_alpha", &F::alpha)
                            .dataset("eps_beta", &F::beta, kOmit)
                            .dataset("eps_ritz_values", &F::ritz_values)
                            .dataset("eps_residuals", &F::residuals)
                            .attribute("eps_top", &F::top)
                            .attribute("eps_top_residual", &F::top_residual)
                            .attribute("eps_bottom", &F::bottom)
                            .attribute("eps_bottom_residual", &F::bottom_residual)
                            .attribute("weyl_slack", &F::weyl_slack)
                            .attribute("eps_applications", &F::applications, kReal)
                            .attribute("eps_seconds", &F::seconds);
  return t;
}

const RecordFields<TopKRecord>& top_k_fields() {
  using K = TopKRecord;
  static const auto t = RecordFields<K>()
                            .dataset("top_k", &K::values, kOmit)
                            .dataset("top_k_residuals", &K::residuals, kOmit)
                            .attribute("top_k_status", &K::status)
                            .attribute("top_k_applications", &K::applications, kReal);
  return t;
}

const RecordFields<SlqRecord>& slq_fields() {
  static const auto t = RecordFields<SlqRecord>()
                            .dataset("slq_nodes", &SlqRecord::nodes)
                            .dataset("slq_weights", &SlqRecord::weights)
                            .attribute("slq_applications", &SlqRecord::applications, kReal);
  return t;
}

}  // namespace

const RecordFields<SubsetRecord>& subset_fields() {
  using U = SubsetRecord;
  static const auto t = RecordFields<U>()
                            .nested("", &U::lanczos, lanczos_fields())
                            .datasets(BATCHRMT_MEMBERS(U, indices, seed_streams))
                            .attribute("B", &U::B, kReal)
                            .attributes(BATCHRMT_MEMBERS(U, top, top_residual, bottom, bottom_residual))
                            .section("fluctuation", &U::fluctuation, fluctuation_fields())
                            .section("top_k", &U::top_k, top_k_fields())
                            .section("slq", &U::slq, slq_fields());
  return t;
}

namespace {

// A Lanczos run's extremes and counts as a batch row's entry.
SubsetMeasurement lanczos_measurement(const LanczosRecord& l, double top, double top_residual, double bottom,
                                      double bottom_residual) {
  SubsetMeasurement m;
  m.top = top;
  m.top_residual = top_residual;
  m.bottom = bottom;
  m.bottom_residual = bottom_residual;
  m.steps = l.steps;
  m.applications = l.applications;
  m.seconds = l.wall_seconds;
  m.status = l.status;
  return m;
}

}  // namespace

SubsetMeasurement subset_from(const SubsetRecord& u, int s) {
  SubsetMeasurement m = lanczos_measurement(u.lanczos, u.top, u.top_residual, u.bottom, u.bottom_residual);
  m.subset = s;
  if (u.top_k) m.top_k = u.top_k->values;
  const FluctuationRecord eps = u.fluctuation.value_or(FluctuationRecord{});
  m.eps_top = eps.top;
  m.eps_top_residual = eps.top_residual;
  m.eps_bottom = eps.bottom;
  m.eps_bottom_residual = eps.bottom_residual;
  m.weyl_slack = eps.weyl_slack;
  if (u.seed_streams.size() == 3) {
    m.seed = static_cast<std::uint64_t>(u.seed_streams[0]);
    m.index_stream = static_cast<std::uint64_t>(u.seed_streams[1]);
    m.lanczos_stream = static_cast<std::uint64_t>(u.seed_streams[2]);
  }
  return m;
}

SubsetMeasurement full_measurement(const FullRun& f, std::uint64_t seed) {
  SubsetMeasurement m = lanczos_measurement(f.lanczos, f.top, f.top_res, f.bottom, f.bottom_res);
  m.seed = seed;
  m.lanczos_stream = kFullLanczosStream;
  m.status = "full";
  m.eps_top = m.eps_top_residual = m.eps_bottom = m.eps_bottom_residual = m.weyl_slack = kNaN;
  return m;
}

std::string subset_unit_path(std::int64_t B, int s) {
  return "/spectrum/B=" + std::to_string(B) + "/subset=" + std::to_string(s);
}

}  // namespace batchrmt::networks::detail
