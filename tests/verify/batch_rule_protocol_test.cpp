// The paper-protocol judgement (verify/batch_rule_protocol.hpp) on constructed seed losses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "verify/batch_rule_protocol.hpp"

using namespace batchrmt;
using namespace batchrmt::verify;

TEST(BatchRuleProtocol, ScaledLearningRates) {
  EXPECT_DOUBLE_EQ(scaled_lr("constant", 0.1, 128, 512), 0.1);
  EXPECT_DOUBLE_EQ(scaled_lr("sqrt", 0.1, 128, 512), 0.2);
  EXPECT_DOUBLE_EQ(scaled_lr("linear", 0.1, 128, 32), 0.025);
  EXPECT_THROW(scaled_lr("cubic", 0.1, 128, 32), InvalidInput);
}

TEST(BatchRuleProtocol, PrescribedRuleClosestAndWithinTwoSeAgrees) {
  const std::vector<double> tuned{0.40, 0.41, 0.39};  // mean 0.40, se 0.0058
  const std::vector<RuleRun> runs{{"constant", 512, 0.1, {0.60, 0.61, 0.59}},
                                  {"sqrt", 512, 0.2, {0.50, 0.51, 0.49}},
                                  {"linear", 512, 0.4, {0.405, 0.415, 0.395}}};
  const auto j = judge_batch_rules(tuned, runs, "linear");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].verdict, Verdict::agrees);
  // The square-root rule is far from the tuned run: the same data judged for Adam disagree.
  EXPECT_EQ(judge_batch_rules(tuned, runs, "sqrt")[0].verdict, Verdict::disagrees);
}

TEST(BatchRuleProtocol, IndistinguishableRulesAreInconclusive) {
  const std::vector<double> tuned{0.40, 0.41, 0.39};
  const std::vector<RuleRun> runs{{"constant", 32, 0.1, {0.40, 0.43, 0.37}},
                                  {"sqrt", 32, 0.05, {0.41, 0.44, 0.38}},
                                  {"linear", 32, 0.025, {0.40, 0.42, 0.38}}};
  EXPECT_EQ(judge_batch_rules(tuned, runs, "linear")[0].verdict, Verdict::inconclusive);
}

TEST(BatchRuleProtocol, ADivergedRuleIsDistinguishableAndNeverAgrees) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> tuned{0.40, 0.41, 0.39};
  const std::vector<RuleRun> runs{{"constant", 512, 0.1, {0.40, 0.41, 0.39}},
                                  {"sqrt", 512, 0.2, {0.45, 0.46, 0.44}},
                                  {"linear", 512, 0.4, {inf, 0.41, 0.40}}};
  EXPECT_EQ(judge_batch_rules(tuned, runs, "linear")[0].verdict, Verdict::disagrees);
  EXPECT_EQ(judge_batch_rules(tuned, runs, "constant")[0].verdict, Verdict::agrees);
}

TEST(BatchRuleProtocolOptions, ReadOnceWithTheOptimizersDefaultGrid) {
  const auto none = Config::parse("", "empty");
  const auto sgd = BatchRuleProtocolOptions::from(none, "c6", networks::Optimizer::sgd);
  EXPECT_FALSE(sgd.run);
  EXPECT_EQ(sgd.start, "lenet_trained");
  EXPECT_EQ(sgd.reference_batch, 128);
  EXPECT_EQ(sgd.batches, (std::vector<std::int64_t>{32, 512}));
  EXPECT_EQ(sgd.lrs, (std::vector<double>{0.01, 0.02, 0.05, 0.1, 0.2}));
  const auto adam = BatchRuleProtocolOptions::from(none, "c7", networks::Optimizer::adam);
  EXPECT_EQ(adam.lrs, (std::vector<double>{1e-4, 3e-4, 1e-3, 3e-3}));
  const auto set = BatchRuleProtocolOptions::from(
      Config::parse("[c7]\nprotocol = true\nstart = \"mine\"\nprotocol_epochs = 2\nprotocol_seeds = 4\n", "t"), "c7",
      networks::Optimizer::adam);
  EXPECT_TRUE(set.run);
  EXPECT_EQ(set.start, "mine");
  EXPECT_EQ(set.epochs, 2);
  EXPECT_EQ(set.seeds, 4);
  EXPECT_EQ(set.optimizer, networks::Optimizer::adam);
}
