// Claim results before and without a measurement, and their wall time.
#include "verify/claims.hpp"

namespace batchrmt::verify {

ClaimResult named_claim(const std::string& id, const std::string& name) {
  ClaimResult r;
  r.id = id;
  r.name = name;
  return r;
}

ClaimResult not_measured(const std::string& id, const std::string& name, const std::string& reason) {
  ClaimResult r = named_claim(id, name);
  r.verdict = Verdict::not_measured;
  r.note = reason;
  return r;
}

ClaimResult without_libtorch(const std::string& id, const std::string& name, const std::string& what) {
  return not_measured(id, name, "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to " + what);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace batchrmt::verify
