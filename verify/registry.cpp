#include "verify/registry.hpp"

#include "core/errors.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/network_claims.hpp"

namespace batchrmt::verify {


const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> list = {
      {"V1", "GOE trace identity (simulator self-check)", "/checks/V1", check_goe_trace},
      {"V2", "SLQ spectral density of a GOE matrix vs the semicircle (spectral self-check)", "/checks/V2", check_slq_semicircle},
      {"V3", "Tracy–Widom edge of the tridiagonal GOE (simulator self-check)", "/checks/V3", check_tracy_widom},
      {"C1", "extremes grow as B shrinks (simulated pool)", "/claims/C1", claim_extremes_grow},
      {"C2", "shift linear in kappa_B above threshold, edge ~ kappa_B^(1/2) below", "/claims/C2", claim_shift_scaling},
      {"C3", "field dependence: QVE vs homogeneous", "/claims/C3", claim_field_dependence},
      {"C4", "GGN analogue (spiked covariance pools)", "/claims/C4", claim_ggn_analogue},
      {"C5", "real networks: measured top eigenvalue per B vs lambda + kappa_B V_phi / lambda", "/claims/C5", claim_real_network, true},
      {"C6", "SGD largest stable learning rate vs B (linear where noise dominates, saturating otherwise)", "/claims/C6", claim_sgd_scaling},
      {"C7", "Adam largest stable learning rate vs B (square root with small damping, linear with large)", "/claims/C7", claim_adam_scaling},
      {"C8", "spectrum-driven learner vs SGD with a tuned constant learning rate", "/claims/C8", claim_spectrum_learner},
  };
  return list;
}

const Experiment& find_experiment(const std::string& id) {
  std::string ids;
  for (const auto& e : experiments()) {
    if (e.id == id) return e;
    ids += (ids.empty() ? "" : ", ") + e.id;
  }
  throw InvalidInput("claim '" + id + "' does not exist; the claims and checks are " + ids + ".");
}

}  // namespace batchrmt::verify
