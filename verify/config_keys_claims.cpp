// The keys of the claim tables [c4]..[c8] and [c5.<case>] as the claims read them:
// verify/claim_c4_ggn.cpp (C4), verify/network_case.cpp and claim_c5_network.cpp (C5),
// verify/lr_claim_start.cpp, claim_c6_sgd.cpp, claim_c7_adam.cpp and batch_rule_protocol.cpp
// (C6, C7), verify/claim_data.cpp and claim_c8_learner.cpp (C8).
#include "verify/config_keys.hpp"

namespace batchrmt::verify {

void declare_claim_config_keys(ConfigKeys& keys) {
  using T = ConfigType;
  keys.table("c4", {{"P", T::integer}, {"N", T::integer}, {"C", T::integer}, {"ells", T::numbers}, {"sigma2", T::number},
                    {"batch_sizes", T::integers}, {"subsets", T::integer}, {"relative_bias_budget", T::number}});

  // C5: a case key is read from [c5.<case>], else from [c5] (network_case.cpp's CaseKeys).
  const std::map<std::string, ConfigType> c5_case{
      {"model", T::text},          {"dataset", T::text},         {"data_dir", T::text},       {"normalize", T::text},
      {"data", T::text},           // the array file of dataset = "arrays" (verify/array_dataset.hpp)
      {"train_subset", T::integer}, {"test_subset", T::integer},  {"augment", T::text},        {"image_side", T::integer},
      {"device", T::text},         {"depth", T::integer},        {"width", T::integer},       {"batchnorm", T::text},
      {"epochs", T::integer},      {"measure_epochs", T::integers}, {"batch_size", T::integer}, {"optimizer", T::text},
      {"lr", T::number},           {"momentum", T::number},      {"weight_decay", T::number}, {"schedule", T::text},
      {"checkpoint_every", T::integer}, {"recompute_bn_batch", T::integer}, {"batch_sizes", T::integers},
      {"subsets", T::integer},     {"subsets_per_batch", T::integers}, {"lanczos_steps", T::integer},
      {"full_lanczos_steps", T::integer}, {"noise_samples", T::integer}, {"dtype", T::text}, {"graph_reuse", T::text},
      {"chunk_size", T::integer},  {"basis", T::text},           {"lanczos_basis", T::text}};
  keys.table("c5", c5_case).add("c5", {{"cases", T::texts}, {"headline", T::text}, {"perturbative_q", T::number},
                                       {"relative_budget", T::number}});
  keys.table("c5.*", c5_case);

  // C6 and C7 start from a C5 case and sweep a fixed log grid (lr_claim_start.cpp); part (c) of C6
  // and C7's protocol part are the paper's protocol (batch_rule_protocol.cpp).
  const std::map<std::string, ConfigType> grid{
      {"start", T::text},           {"batch_sizes", T::integers},        {"steps", T::integer},
      {"seeds", T::integer},        {"monitor_size", T::integer},        {"monitor_every", T::integer},
      {"grid_points", T::integer},  {"grid_ratio", T::number},           {"grid_extend", T::integer},
      {"grid_start_below", T::integer}, {"divergence_factors", T::numbers}, {"reference_factor", T::number},
      {"q_asymptotic", T::number},  {"noise_dominated_ratio", T::number}, {"exponent_bias_budget", T::number},
      {"top_loss_fraction", T::number}, {"protocol", T::flag},           {"protocol_reference_batch", T::integer},
      {"protocol_batches", T::integers}, {"protocol_epochs", T::integer}, {"protocol_seeds", T::integer},
      {"protocol_lrs", T::numbers}, {"protocol_momentum", T::number}};
  keys.table("c6", grid).add("c6", {{"momentum", T::number}});
  keys.table("c7", grid).add("c7", {{"eps_small", T::number}, {"eps_large", T::number}, {"large_damping", T::flag},
                                    {"beta1", T::number}, {"beta2", T::number}, {"adam_warmup", T::integer},
                                    {"subsets", T::integer}, {"lanczos_steps", T::integer}, {"gradient_samples", T::integer},
                                    {"noise_fraction_min", T::number}, {"dtype", T::text}});

  // C8 loads its data and model through claim_data.cpp's load_or_explain.
  const std::map<std::string, ConfigType> loader{
      {"model", T::text},      {"dataset", T::text},     {"data_dir", T::text},          {"normalize", T::text},
      {"train_subset", T::integer}, {"test_subset", T::integer}, {"image_side", T::integer}, {"init", T::text},
      {"depth", T::integer},   {"width", T::integer},    {"device", T::text},            {"pretrain_epochs", T::integer},
      {"pretrain_batch_size", T::integer}, {"pretrain_lr", T::number}};
  keys.table("c8", loader).add("c8", {{"epochs", T::integer}, {"batch_size", T::integer}, {"seeds", T::integer},
                                      {"baseline_lrs", T::numbers}, {"baseline_momentum", T::number},
                                      {"validation", T::integer}, {"accuracy_budget", T::number}, {"null_deficit", T::number},
                                      {"variant", T::text}, {"mu_rule", T::text}, {"momentum_formula", T::text},
                                      {"curvature_every", T::integer}, {"curvature_steps", T::integer},
                                      {"curvature_batch", T::integer}, {"curvature_seed", T::integer},
                                      {"warmstart", T::integer}, {"lr_init", T::number}, {"momentum_init", T::number},
                                      {"weight_decay", T::number}, {"curvature_batchnorm", T::text}});
}

}  // namespace batchrmt::verify
