// The tables and keys a `reproduce` / `verify claim` configuration may hold (core/config_keys.hpp).
// Each reader declares what it reads: the run options and the checks V1-V3 and claims C1-C3 in
// verify/config_keys.cpp, the claim tables [c4]..[c8] and [c5.<case>] in
// verify/config_keys_claims.cpp (kept apart: those claims change with the real-network work).
#pragma once

#include "core/config_keys.hpp"

namespace batchrmt::verify {

// Every declared table; reproduce and verify claim call check() on the file they load.
const ConfigKeys& config_keys();

// [c4]..[c8] and [c5.<case>] (verify/config_keys_claims.cpp).
void declare_claim_config_keys(ConfigKeys& keys);

}  // namespace batchrmt::verify
