// The records of a spectrum measurement as SpectrumSink units (see spectrum_units.hpp).
#include "networks/spectrum_units.hpp"

#include "core/byte_buffer.hpp"
#include "core/errors.hpp"

namespace batchrmt::networks::detail {

namespace {

double number(const UnitData& u, const std::string& k) {
  const auto it = u.numbers.find(k);
  return it == u.numbers.end() ? kNaN : it->second;
}
const std::vector<double>& reals(const UnitData& u, const std::string& k) {
  static const std::vector<double> empty;
  const auto it = u.reals.find(k);
  return it == u.reals.end() ? empty : it->second;
}

}  // namespace

void put_lanczos(UnitData& u, const spectral::LanczosResult& r) {
  u.reals["alpha"] = r.alpha;
  u.reals["beta"] = r.beta;
  u.reals["ritz_values"] = r.ritz_values;
  u.reals["weights"] = r.weights;
  u.reals["residuals"] = r.residuals;
  u.numbers["steps"] = static_cast<double>(r.steps);
  u.numbers["applications"] = static_cast<double>(r.applications);
  u.numbers["wall_seconds"] = r.wall_seconds;
  u.numbers["operator_seconds"] = r.operator_seconds;
  u.numbers["reorth_seconds"] = r.reorth_seconds;
  u.numbers["restarts"] = static_cast<double>(r.restarts);
  u.text["lanczos_status"] = spectral::to_string(r.status);
  u.text["reorthogonalization"] = std::string(spectral::to_string(r.reorth)) + " x" + std::to_string(r.reorth_passes);
  u.text["start_vector"] = spectral::to_string(r.start);
  u.integers["lanczos_seed_stream"] = {static_cast<std::int64_t>(r.seed), static_cast<std::int64_t>(r.stream)};
}

UnitData full_unit(const FullRun& f, bool store_vectors) {
  UnitData u;
  put_lanczos(u, f.lanczos);
  u.text["lanczos_basis"] = f.basis_placement;
  u.numbers["top"] = f.top;
  u.numbers["top_residual"] = f.top_res;
  u.numbers["bottom"] = f.bottom;
  u.numbers["bottom_residual"] = f.bottom_res;
  u.reals["spike_values"] = f.spikes;
  u.reals["spike_residuals"] = f.spike_res;
  const auto P = static_cast<double>(f.vectors.rows());
  if (store_vectors && P * static_cast<double>(f.vectors.cols()) <= 2e7) {
    u.matrices["spike_vectors"] = f.vectors;  // P x (spikes + 1): the spikes (descending), then phi_bottom
    u.text["spike_vectors"] = "columns: top Ritz vectors of H_full in descending order, then the bottom one";
  }
  return u;
}

FullRun full_from(const UnitData& u) {
  FullRun f;
  f.top = number(u, "top");
  f.top_res = number(u, "top_residual");
  f.bottom = number(u, "bottom");
  f.bottom_res = number(u, "bottom_residual");
  f.spikes = reals(u, "spike_values");
  f.spike_res = reals(u, "spike_residuals");
  f.lanczos.alpha = reals(u, "alpha");
  f.lanczos.beta = reals(u, "beta");
  f.lanczos.ritz_values = reals(u, "ritz_values");
  f.lanczos.weights = reals(u, "weights");
  f.lanczos.residuals = reals(u, "residuals");
  f.lanczos.steps = static_cast<std::size_t>(number(u, "steps"));
  f.lanczos.applications = static_cast<std::int64_t>(number(u, "applications"));
  f.lanczos.wall_seconds = number(u, "wall_seconds");
  const auto it = u.matrices.find("spike_vectors");
  if (it != u.matrices.end()) {
    f.vectors = it->second;
    f.have_vectors = true;
  }
  return f;
}

UnitData noise_unit(const NoiseEstimate& top, const NoiseEstimate& bottom) {
  UnitData u;
  u.integers["indices"] = to_int64(top.indices);
  auto put = [&](const std::string& p, const NoiseEstimate& e) {
    u.numbers[p + "lambda"] = e.lambda;
    u.numbers[p + "v_phi"] = e.v_phi;
    u.numbers[p + "v_phi_se"] = e.v_phi_se;
    u.numbers[p + "w_phi"] = e.w_phi;
    u.numbers[p + "w_phi_se"] = e.w_phi_se;
    u.numbers[p + "v_perp"] = e.v_perp;
    u.numbers[p + "v_perp_se"] = e.v_perp_se;
    u.numbers[p + "h_phi_residual"] = e.h_phi_residual;
    u.reals[p + "norm2"] = e.norm2;
    u.reals[p + "proj2"] = e.proj2;
  };
  put("top_", top);
  put("bottom_", bottom);
  u.reals["top_c"] = top.c;
  u.reals["top_c_se"] = top.c_se;
  u.numbers["samples"] = static_cast<double>(top.samples);
  u.numbers["population"] = static_cast<double>(top.population);
  u.numbers["seconds"] = top.seconds;
  u.text["estimator"] =
      "u_i = h_i phi - H_full phi on a without-replacement sample; V = mean ||u_i||^2, W = mean (phi^T u_i)^2, "
      "V_perp = V - W, c_k = mean (phi_k^T u_i)^2; se = sd sqrt((1 - M/N)/M)";
  return u;
}

NoiseEstimate noise_from(const UnitData& u, const std::string& p) {
  NoiseEstimate e;
  e.lambda = number(u, p + "lambda");
  e.v_phi = number(u, p + "v_phi");
  e.v_phi_se = number(u, p + "v_phi_se");
  e.w_phi = number(u, p + "w_phi");
  e.w_phi_se = number(u, p + "w_phi_se");
  e.v_perp = number(u, p + "v_perp");
  e.v_perp_se = number(u, p + "v_perp_se");
  e.h_phi_residual = number(u, p + "h_phi_residual");
  e.norm2 = reals(u, p + "norm2");
  e.proj2 = reals(u, p + "proj2");
  if (p == "top_") {
    e.c = reals(u, "top_c");
    e.c_se = reals(u, "top_c_se");
  }
  e.samples = static_cast<std::size_t>(number(u, "samples"));
  e.population = static_cast<std::size_t>(number(u, "population"));
  e.seconds = number(u, "seconds");
  const auto it = u.integers.find("indices");
  if (it != u.integers.end()) e.indices.assign(it->second.begin(), it->second.end());
  return e;
}

SubsetMeasurement subset_from(const UnitData& u, int s) {
  SubsetMeasurement m;
  m.subset = s;
  m.top = number(u, "top");
  m.top_residual = number(u, "top_residual");
  m.bottom = number(u, "bottom");
  m.bottom_residual = number(u, "bottom_residual");
  m.top_k = reals(u, "top_k");
  m.eps_top = number(u, "eps_top");
  m.eps_top_residual = number(u, "eps_top_residual");
  m.eps_bottom = number(u, "eps_bottom");
  m.eps_bottom_residual = number(u, "eps_bottom_residual");
  m.weyl_slack = number(u, "weyl_slack");
  m.steps = static_cast<std::size_t>(number(u, "steps"));
  m.applications = static_cast<std::int64_t>(number(u, "applications"));
  m.seconds = number(u, "wall_seconds");
  const auto st = u.text.find("lanczos_status");
  if (st != u.text.end()) m.status = st->second;
  const auto it = u.integers.find("seed_streams");
  if (it != u.integers.end() && it->second.size() == 3) {
    m.seed = static_cast<std::uint64_t>(it->second[0]);
    m.index_stream = static_cast<std::uint64_t>(it->second[1]);
    m.lanczos_stream = static_cast<std::uint64_t>(it->second[2]);
  }
  return m;
}

std::string subset_unit_path(std::int64_t B, int s) {
  return "/spectrum/B=" + std::to_string(B) + "/subset=" + std::to_string(s);
}

template <class Archive, class Unit>
void unit_fields(Archive& a, Unit& u) {
  a(u.reals, u.integers, u.matrices, u.text, u.numbers);
}

std::vector<std::uint8_t> encode_unit(const UnitData& u) {
  ByteWriter w;
  unit_fields(w, u);
  return std::move(w.bytes());
}

UnitData decode_unit(const std::vector<std::uint8_t>& bytes) {
  ByteReader r(bytes);
  UnitData u;
  unit_fields(r, u);
  if (!r.done()) throw IoError("a spectrum unit sent by another MPI rank has trailing bytes.");
  return u;
}

}  // namespace batchrmt::networks::detail
