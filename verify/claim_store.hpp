// ClaimResult <-> a unit of the HDF5 store (layout in docs/hdf5-schema.md, "Claims").
#pragma once

#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
#include "verify/claims.hpp"

namespace batchrmt::verify {

// Attributes check_id, check_name, verdict, prediction, measurement, stderr, z, note,
// wall_seconds, scalar.<name>, label.<name>; datasets series/<name>, matrices/<name>.
void write_claim(const outputs::Group& unit, const ClaimResult& claim);
ClaimResult read_claim(const outputs::Group& unit);

// {"id", "name", "verdict", "prediction", "measurement", "stderr", "z", "note"} (NaN -> null).
nlohmann::json claim_json(const ClaimResult& claim);

}  // namespace batchrmt::verify
