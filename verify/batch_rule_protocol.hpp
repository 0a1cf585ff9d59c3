// The paper's own protocol for a batch-size rule (docs/learning-rates.md, "The paper's
// protocol"): tune a constant learning rate at a reference batch size B0, then train other batch
// sizes for the same epochs with the learning rate scaled by the constant (1), square-root
// (sqrt(B/B0)) and linear (B/B0) rules, several seeds each, and compare the final test loss with
// the tuned run's. Per batch size:
//   inconclusive  every pair of rules lies within 2 se of each other (se of the difference of
//                 their seed means): the rules cannot be told apart;
//   agrees        the prescribed rule's loss is within 2 se of the tuned run's and at least as
//                 close to it as every other rule's;
//   disagrees     otherwise.
// The judgement is torch-free; the training runs live in networks/ (run_batch_rule_protocol).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "networks/training_kinds.hpp"
#include "verify/claims.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

struct RuleRun {
  std::string rule;  // constant | sqrt | linear
  std::int64_t B = 0;
  double lr = 0;
  std::vector<double> test_loss;  // per seed (+inf: diverged)
};

struct RuleJudgement {
  std::int64_t B = 0;
  Verdict verdict = Verdict::not_measured;
  std::string note;
};

// Scaled learning rate of `rule` at B from lr0 at B0.
double scaled_lr(const std::string& rule, double lr0, std::int64_t B0, std::int64_t B);

std::vector<RuleJudgement> judge_batch_rules(const std::vector<double>& tuned_loss, const std::vector<RuleRun>& runs,
                                             const std::string& prescribed);

// The protocol's keys of section `sec` ([c6] with sgd or [c7] with adam), read once: protocol
// (default false: the part is not run and the claim says where it runs), start (the C5 case whose
// data and model it trains), protocol_reference_batch, protocol_batches, protocol_epochs,
// protocol_seeds, protocol_lrs (the tuning grid at B0) and protocol_momentum (sgd).
struct BatchRuleProtocolOptions {
  bool run = false;
  std::string start = "lenet_trained";
  std::int64_t reference_batch = 128;
  std::vector<std::int64_t> batches{32, 512};
  int epochs = 5;
  int seeds = 3;
  std::vector<double> lrs;  // default: 0.01 .. 0.2 for sgd, 1e-4 .. 3e-3 for adam
  double momentum = 0.9;
  networks::Optimizer optimizer = networks::Optimizer::sgd;

  static BatchRuleProtocolOptions from(const Config& c, const std::string& sec, networks::Optimizer optimizer);
};

// Part (c) of C6 or the protocol part of C7 (`c` gives the start case's data). Adds series and
// labels under "protocol_" to `r`; returns the part's verdict.
Verdict run_batch_rule_protocol(ClaimResult& r, const Config& c, const BatchRuleProtocolOptions& o, std::uint64_t seed,
                                std::string& note);

}  // namespace batchrmt::verify
