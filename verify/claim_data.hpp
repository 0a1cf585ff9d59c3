// The data and starting model of C8 ([c8] of a Config): the section's dataset and its model
// (initialisation, or a short SGD pre-training). Absent data turn the claim into "not measured".
#pragma once

#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "verify/claims.hpp"
#include "verify/learning_rate_claims.hpp"

#ifdef BATCHRMT_WITH_TORCH
namespace batchrmt::verify {

struct ClaimData {
  networks::DataSplits data;
  networks::Model model;
  std::string description;
};

// Loads the section's dataset and builds its model; throws IoError when the data are absent.
ClaimData load_claim_data(const Config& c, const std::string& sec, std::uint64_t seed, const std::string& model_default,
                          std::int64_t train_default, std::int64_t test_default);

// Loads the section's data into `d`; false, with `r` turned into "not measured" and the reason,
// when they are absent.
bool load_or_explain(ClaimResult& r, ClaimData& d, const Config& c, const std::string& sec, std::uint64_t seed,
                     const std::string& model_default, std::int64_t train_default, std::int64_t test_default);


}  // namespace batchrmt::verify
#endif
