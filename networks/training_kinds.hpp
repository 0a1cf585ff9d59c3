// The closed sets of training by name: optimiser, learning-rate schedule and how a run ended.
// Files, JSON and the command line carry the names; the program carries the values (parsed once
// where the text enters). No LibTorch here: verify/ reads the optimiser in every build.
#pragma once

#include <string>

#include "core/enum_names.hpp"

namespace batchrmt::networks {

// sgd: heavy ball (optionally Nesterov), weight decay as L2 in the gradient; adam: Adam with L2
// weight decay; adamw: Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019).
enum class Optimizer { sgd, adam, adamw };
// The learning-rate schedules of networks/training.hpp (docs/theory.md 6.2).
enum class LrSchedule { paper, step, constant };
// How training (or the learner) ended: every epoch done, stopped by stop_after, or a
// non-finite loss.
enum class TrainStatus { complete, stopped, diverged };

inline constexpr EnumNames<Optimizer, 3> kOptimizerNames{
    {{Optimizer::sgd, "sgd"}, {Optimizer::adam, "adam"}, {Optimizer::adamw, "adamw"}}};
inline constexpr EnumNames<LrSchedule, 3> kLrScheduleNames{
    {{LrSchedule::paper, "paper"}, {LrSchedule::step, "step"}, {LrSchedule::constant, "constant"}}};
inline constexpr EnumNames<TrainStatus, 3> kTrainStatusNames{
    {{TrainStatus::complete, "complete"}, {TrainStatus::stopped, "stopped"}, {TrainStatus::diverged, "diverged"}}};

inline std::string to_string(Optimizer o) { return enum_name(kOptimizerNames, o); }
inline std::string to_string(LrSchedule s) { return enum_name(kLrScheduleNames, s); }
inline std::string to_string(TrainStatus s) { return enum_name(kTrainStatusNames, s); }

// The value named `text`; otherwise InvalidInput "<what> is '<text>', but must be sgd, adam or
// adamw." (`what`: the option or config key the text came from).
inline Optimizer parse_optimizer(const std::string& text, const std::string& what = "optimizer") {
  return parse_enum(kOptimizerNames, what, text);
}
inline LrSchedule parse_lr_schedule(const std::string& text, const std::string& what = "schedule") {
  return parse_enum(kLrScheduleNames, what, text);
}
inline TrainStatus parse_train_status(const std::string& text, const std::string& what = "training status") {
  return parse_enum(kTrainStatusNames, what, text);
}

}  // namespace batchrmt::networks
