#include "verify/config_keys.hpp"

namespace batchrmt::verify {

namespace {

using T = ConfigType;

// [run]: apps/reproduce_commands.cpp and the claims' run.* fallbacks (run.work_dir and
// run.over_ranks are set by reproduce itself, but a file may hold them too).
void declare_run_keys(ConfigKeys& keys) {
  keys.table("run", {{"only", T::texts}, {"data_dir", T::text}, {"device", T::text}, {"work_dir", T::text},
                     {"over_ranks", T::flag}});
}

// verify/simulator_checks.cpp (V1-V3) and verify/claim_c1_extremes.cpp, claim_c2_shift.cpp, claim_c3_field.cpp (C1-C3).
void declare_check_keys(ConfigKeys& keys) {
  keys.table("v1", {{"n", T::integer}, {"sigma", T::number}, {"trials", T::integer}});
  keys.table("v2", {{"n", T::integer}, {"probes", T::integer}, {"steps", T::integer}});
  keys.table("v3", {{"n", T::integer}, {"trials", T::integer}});
  const std::map<std::string, ConfigType> pool{{"P", T::integer}, {"N", T::integer}, {"spikes", T::numbers}, {"s2", T::number}};
  keys.table("c1", pool).add("c1", {{"batch_sizes", T::integers}, {"subsets", T::integer}});
  keys.table("c2", {{"batch_sizes", T::integers}, {"subsets", T::integer}, {"max_fit_batch_fraction", T::number},
                    {"exponent_bias_budget", T::number}});
  keys.table("c2.outlier", pool);
  keys.table("c2.edge", pool);
  keys.table("c2.crossing", pool);
  keys.table("c3", {{"n", T::integer}, {"trials", T::integer}, {"theta", T::number}, {"fractions", T::numbers},
                    {"t", T::numbers}});
}

}  // namespace

const ConfigKeys& config_keys() {
  static const ConfigKeys keys = [] {
    ConfigKeys k;
    declare_run_keys(k);
    declare_check_keys(k);
    declare_claim_config_keys(k);
    return k;
  }();
  return keys;
}

}  // namespace batchrmt::verify
