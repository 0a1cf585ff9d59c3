// The experiments `batchrmt reproduce` runs, in order: self-checks V*, then claims C1..C8.
// Claims this build cannot measure yet are listed with the reason, verdict "not measured".
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "verify/claims.hpp"

namespace batchrmt::verify {

struct Experiment {
  std::string id;
  std::string name;
  std::string unit_path;  // "/claims/C1"
  std::function<ClaimResult(const Config&, std::uint64_t seed)> run;
  // Under mpirun, run by every rank together (with run.over_ranks = true in the configuration:
  // its network products are spread over the ranks) instead of whole on one rank. Rank 0's
  // result is the claim.
  bool collective = false;
};

const std::vector<Experiment>& experiments();
const Experiment& find_experiment(const std::string& id);  // InvalidInput listing the ids otherwise

}  // namespace batchrmt::verify
