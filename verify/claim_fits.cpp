// Results without a measurement.
#include "verify/claims.hpp"

namespace batchrmt::verify {

ClaimResult not_measured(const std::string& id, const std::string& name, const std::string& reason) {
  ClaimResult r;
  r.id = id;
  r.name = name;
  r.verdict = Verdict::not_measured;
  r.note = reason;
  return r;
}

}  // namespace batchrmt::verify
