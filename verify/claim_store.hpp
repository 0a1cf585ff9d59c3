// ClaimResult <-> a unit of the HDF5 store (layout in docs/hdf5-schema.md, "Claims").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/record_fields.hpp"
#include "outputs/store.hpp"
#include "verify/claims.hpp"

namespace batchrmt::verify {

// Attributes check_id, check_name, verdict, prediction, measurement, stderr, z, note,
// wall_seconds, scalar.<name>, label.<name>; datasets series/<name>, matrices/<name>.
void write_claim(const outputs::Group& unit, const ClaimResult& claim);
ClaimResult read_claim(const outputs::Group& unit);

// The same content as bytes, for sending a claim computed on one MPI rank to rank 0, which
// writes it (core/byte_buffer.hpp; decode throws IoError on a truncated buffer).
std::vector<std::uint8_t> encode_claim(const ClaimResult& claim);
ClaimResult decode_claim(const std::vector<std::uint8_t>& bytes);

// A record's values (core/record_fields.hpp) into the claim's data under `prefix`: numbers as
// scalars, vectors of numbers as series, matrices as matrices and text as labels.
void put_values(ClaimResult& claim, const RecordValues& values, const std::string& prefix);

// {"id", "name", "verdict", "prediction", "measurement", "stderr", "z", "note"} (NaN -> null).
nlohmann::json claim_json(const ClaimResult& claim);

}  // namespace batchrmt::verify
