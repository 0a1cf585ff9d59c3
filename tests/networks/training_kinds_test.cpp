// The closed sets of training by name (networks/training_kinds.hpp): every name parses back to
// its value, and any other text is refused with one sentence listing the choices.
#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "core/errors.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/training_kinds.hpp"

namespace nw = batchrmt::networks;

namespace {
template <class E, class Parse>
void expect_round_trip(std::initializer_list<E> values, Parse parse) {
  for (E v : values) EXPECT_EQ(parse(nw::to_string(v)), v) << nw::to_string(v);
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const batchrmt::InvalidInput& e) {
    return e.what();
  }
  return "not refused";
}
}  // namespace

TEST(TrainingKinds, NamesAreTheFileAndCommandLineValues) {
  EXPECT_EQ(nw::to_string(nw::Optimizer::sgd), "sgd");
  EXPECT_EQ(nw::to_string(nw::Optimizer::adam), "adam");
  EXPECT_EQ(nw::to_string(nw::Optimizer::adamw), "adamw");
  EXPECT_EQ(nw::to_string(nw::LrSchedule::paper), "paper");
  EXPECT_EQ(nw::to_string(nw::LrSchedule::step), "step");
  EXPECT_EQ(nw::to_string(nw::LrSchedule::constant), "constant");
  EXPECT_EQ(nw::to_string(nw::TrainStatus::complete), "complete");
  EXPECT_EQ(nw::to_string(nw::TrainStatus::stopped), "stopped");
  EXPECT_EQ(nw::to_string(nw::TrainStatus::diverged), "diverged");
}

TEST(TrainingKinds, ParseRoundTrips) {
  expect_round_trip({nw::Optimizer::sgd, nw::Optimizer::adam, nw::Optimizer::adamw},
                    [](const std::string& s) { return nw::parse_optimizer(s); });
  expect_round_trip({nw::LrSchedule::paper, nw::LrSchedule::step, nw::LrSchedule::constant},
                    [](const std::string& s) { return nw::parse_lr_schedule(s); });
  expect_round_trip({nw::TrainStatus::complete, nw::TrainStatus::stopped, nw::TrainStatus::diverged},
                    [](const std::string& s) { return nw::parse_train_status(s); });
  expect_round_trip({nw::Optimizer::sgd, nw::Optimizer::adam},
                    [](const std::string& s) { return nw::parse_sweep_optimizer(s); });
}

TEST(TrainingKinds, OtherTextIsRefusedWithTheChoices) {
  EXPECT_EQ(refusal([] { nw::parse_optimizer("rmsprop", "--optimizer"); }),
            "--optimizer is 'rmsprop', but must be sgd, adam or adamw.");
  EXPECT_EQ(refusal([] { nw::parse_optimizer("SGD"); }), "optimizer is 'SGD', but must be sgd, adam or adamw.");
  EXPECT_EQ(refusal([] { nw::parse_lr_schedule("cosine", "c5.schedule"); }),
            "c5.schedule is 'cosine', but must be paper, step or constant.");
  EXPECT_EQ(refusal([] { nw::parse_train_status("running"); }),
            "training status is 'running', but must be complete, stopped or diverged.");
  EXPECT_EQ(refusal([] { nw::parse_sweep_optimizer("adamw", "--optimizer"); }),
            "--optimizer is 'adamw', but must be sgd or adam.");
}
