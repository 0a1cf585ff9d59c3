// The keys of the claim tables [c4]..[c8] and [c5.<case>] as verify/simulated_claims.cpp (C4),
// verify/network_claims.cpp (C5) and verify/learning_rate_claims.cpp (C6-C8) read them today.
// Kept in this one file so the claims' redesign updates their keys in one place.
#include "verify/config_keys.hpp"

namespace batchrmt::verify {

void declare_claim_config_keys(ConfigKeys& keys) {
  using T = ConfigType;
  keys.table("c4", {{"P", T::integer}, {"N", T::integer}, {"C", T::integer}, {"ells", T::numbers}, {"sigma2", T::number},
                    {"batch_sizes", T::integers}, {"subsets", T::integer}, {"relative_bias_budget", T::number}});

  // C5: a case key is read from [c5.<case>], else from [c5] (network_claims.cpp's case_key).
  const std::map<std::string, ConfigType> c5_case{
      {"model", T::text},          {"dataset", T::text},         {"data_dir", T::text},       {"normalize", T::text},
      {"train_subset", T::integer}, {"test_subset", T::integer},  {"augment", T::text},        {"image_side", T::integer},
      {"device", T::text},         {"depth", T::integer},        {"width", T::integer},       {"batchnorm", T::text},
      {"epochs", T::integer},      {"measure_epochs", T::integers}, {"batch_size", T::integer}, {"optimizer", T::text},
      {"lr", T::number},           {"momentum", T::number},      {"weight_decay", T::number}, {"schedule", T::text},
      {"checkpoint_every", T::integer}, {"recompute_bn_batch", T::integer}, {"batch_sizes", T::integers},
      {"subsets", T::integer},     {"lanczos_steps", T::integer}, {"full_lanczos_steps", T::integer},
      {"noise_samples", T::integer}, {"dtype", T::text},         {"graph_reuse", T::text},    {"chunk_size", T::integer},
      {"basis", T::text},          {"lanczos_basis", T::text}};
  keys.table("c5", c5_case).add("c5", {{"cases", T::texts}, {"perturbative_q", T::number}, {"relative_budget", T::number}});
  keys.table("c5.*", c5_case);

  // C6-C8 load their data and model through learning_rate_claims.cpp's load_or_explain.
  const std::map<std::string, ConfigType> loader{
      {"model", T::text},      {"dataset", T::text},     {"data_dir", T::text},          {"normalize", T::text},
      {"train_subset", T::integer}, {"test_subset", T::integer}, {"image_side", T::integer}, {"init", T::text},
      {"depth", T::integer},   {"width", T::integer},    {"device", T::text},            {"pretrain_epochs", T::integer},
      {"pretrain_batch_size", T::integer}, {"pretrain_lr", T::number}};
  // ... and C6/C7 sweep the learning rate through sweep_request.
  const std::map<std::string, ConfigType> sweep{
      {"batch_sizes", T::integers}, {"steps", T::integer},        {"divergence_factor", T::number},
      {"monitor_size", T::integer}, {"monitor_every", T::integer}, {"seeds", T::integer},
      {"bisections", T::integer},   {"growth", T::number},         {"subsets", T::integer},
      {"lanczos_steps", T::integer}, {"full_lanczos_steps", T::integer}, {"gradient_samples", T::integer}};
  keys.table("c6", loader).add("c6", sweep).add("c6", {{"momentum", T::number}, {"noise_dominated_ratio", T::number},
                                                       {"saturated_ratio", T::number}, {"exponent_bias_budget", T::number}});
  keys.table("c7", loader).add("c7", sweep).add("c7", {{"noise_dominated_ratio", T::number}, {"exponent_bias_budget", T::number},
                                                       {"noise_fraction_min", T::number}, {"eps_small", T::number},
                                                       {"eps_large", T::number}, {"beta1", T::number}, {"beta2", T::number},
                                                       {"adam_warmup", T::integer}});
  keys.table("c8", loader).add("c8", {{"epochs", T::integer}, {"batch_size", T::integer}, {"seeds", T::integer},
                                      {"baseline_lrs", T::numbers}, {"baseline_momentum", T::number},
                                      {"validation", T::integer}, {"accuracy_budget", T::number}, {"variant", T::text},
                                      {"mu_rule", T::text}, {"momentum_formula", T::text}, {"curvature_every", T::integer},
                                      {"curvature_steps", T::integer}, {"curvature_batch", T::integer},
                                      {"curvature_seed", T::integer}});
}

}  // namespace batchrmt::verify
