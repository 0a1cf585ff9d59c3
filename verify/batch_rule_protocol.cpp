#include "verify/batch_rule_protocol.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "verify/network_case.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#endif

namespace batchrmt::verify {

double scaled_lr(const std::string& rule, double lr0, std::int64_t B0, std::int64_t B) {
  const double r = static_cast<double>(B) / static_cast<double>(B0);
  if (rule == "constant") return lr0;
  if (rule == "sqrt") return lr0 * std::sqrt(r);
  if (rule == "linear") return lr0 * r;
  throw InvalidInput("batch-size rule '" + rule + "' does not exist; the rules are constant, sqrt and linear.");
}

namespace {
SampleSummary finite_summary(const std::vector<double>& v) {
  std::vector<double> f;
  for (double x : v)
    if (std::isfinite(x)) f.push_back(x);
  return f.size() == v.size() ? summarize(f) : SampleSummary{v.size(), std::numeric_limits<double>::infinity(), 0.0, 0.0};
}
double diff_se(const SampleSummary& a, const SampleSummary& b) {
  const double sa = std::isfinite(a.stderr_) ? a.stderr_ : 0.0, sb = std::isfinite(b.stderr_) ? b.stderr_ : 0.0;
  return std::hypot(sa, sb);
}
}  // namespace

std::vector<RuleJudgement> judge_batch_rules(const std::vector<double>& tuned_loss, const std::vector<RuleRun>& runs,
                                             const std::string& prescribed) {
  const SampleSummary tuned = finite_summary(tuned_loss);
  if (!std::isfinite(tuned.mean)) throw NumericalFailure("batch-size protocol: the tuned run diverged, so no rule can be compared with it.");
  std::vector<std::int64_t> Bs;
  for (const auto& r : runs)
    if (std::find(Bs.begin(), Bs.end(), r.B) == Bs.end()) Bs.push_back(r.B);
  std::vector<RuleJudgement> out;
  for (const auto B : Bs) {
    std::vector<const RuleRun*> at;
    const RuleRun* mine = nullptr;
    for (const auto& r : runs)
      if (r.B == B) {
        at.push_back(&r);
        if (r.rule == prescribed) mine = &r;
      }
    RuleJudgement j;
    j.B = B;
    if (!mine) throw InvalidInput("batch-size protocol: no run of the prescribed rule '" + prescribed + "' at B=" + std::to_string(B) + ".");
    bool distinguishable = false;
    std::string table;
    for (std::size_t a = 0; a < at.size(); ++a) {
      const auto sa = finite_summary(at[a]->test_loss);
      table += (table.empty() ? "" : ", ") + at[a]->rule + " (lr " + format_number(at[a]->lr, 3) + ") " + format_number(sa.mean, 4) + " +- " +
               format_number(sa.stderr_, 2);
      for (std::size_t b = a + 1; b < at.size(); ++b) {
        const auto sb = finite_summary(at[b]->test_loss);
        if (!std::isfinite(sa.mean) || !std::isfinite(sb.mean) ? std::isfinite(sa.mean) != std::isfinite(sb.mean)
                                                               : std::abs(sa.mean - sb.mean) > 2 * diff_se(sa, sb))
          distinguishable = true;
      }
    }
    const auto sm = finite_summary(mine->test_loss);
    const double gap = std::abs(sm.mean - tuned.mean);
    bool closest = std::isfinite(sm.mean);
    for (const auto* r : at)
      if (r != mine && std::abs(finite_summary(r->test_loss).mean - tuned.mean) < gap) closest = false;
    const bool within = std::isfinite(sm.mean) && gap <= 2 * diff_se(sm, tuned);
    if (!distinguishable) j.verdict = Verdict::inconclusive;
    else j.verdict = within && closest ? Verdict::agrees : Verdict::disagrees;
    j.note = "B=" + std::to_string(B) + ": test loss " + table + " vs tuned " + format_number(tuned.mean, 4) + " +- " +
             format_number(tuned.stderr_, 2) + "; " + prescribed + " is " + (within ? "within" : "not within") + " 2 se of the tuned run" +
             (closest ? " and the closest rule" : " and not the closest rule") + (distinguishable ? "" : "; the rules are indistinguishable within 2 se") +
             " -> " + to_string(j.verdict);
    out.push_back(j);
  }
  return out;
}

BatchRuleProtocolOptions BatchRuleProtocolOptions::from(const Config& c, const std::string& sec, networks::Optimizer optimizer) {
  BatchRuleProtocolOptions o;
  const bool adam = optimizer == networks::Optimizer::adam;
  o.optimizer = optimizer;
  o.run = c.flag(sec + ".protocol", o.run);
  o.start = c.text(sec + ".start", o.start);
  o.reference_batch = c.integer(sec + ".protocol_reference_batch", o.reference_batch);
  o.batches = c.integers(sec + ".protocol_batches", o.batches);
  o.epochs = static_cast<int>(c.integer(sec + ".protocol_epochs", o.epochs));
  o.seeds = static_cast<int>(c.integer(sec + ".protocol_seeds", o.seeds));
  o.lrs = c.numbers(sec + ".protocol_lrs", adam ? std::vector<double>{1e-4, 3e-4, 1e-3, 3e-3} : std::vector<double>{0.01, 0.02, 0.05, 0.1, 0.2});
  o.momentum = c.number(sec + ".protocol_momentum", o.momentum);
  return o;
}

namespace {
template <class Row, class Get>
std::vector<double> column(const std::vector<Row>& rows, Get get) {
  std::vector<double> v;
  for (const auto& row : rows) v.push_back(static_cast<double>(get(row)));
  return v;
}
}  // namespace

#ifdef BATCHRMT_WITH_TORCH

Verdict run_batch_rule_protocol(ClaimResult& r, const Config& c, const BatchRuleProtocolOptions& o, std::uint64_t seed,
                                std::string& note) {
  if (!o.run) {
    note = "the paper's protocol (tune at B0, then constant/sqrt/linear rules at other B) is not part of this job: it runs in "
           "configs/extended.toml (make reproduce-extended)";
    r.labels["protocol"] = note;
    return Verdict::not_measured;
  }
  const CaseRun cr = measure_network_case(c, o.start, seed, CaseAccess::read_existing);
  if (!cr.absent.empty() || cr.checkpoints.empty()) {
    note = "the protocol's data are absent: " + cr.absent;
    return Verdict::not_measured;
  }
  const auto& data = cr.checkpoints.back().data;
  const networks::ModelSpec spec = cr.checkpoints.back().model.spec();
  const std::int64_t B0 = o.reference_batch;
  const auto& Bs = o.batches;
  const int epochs = o.epochs, seeds = o.seeds;
  const auto& lrs = o.lrs;
  const double momentum = o.momentum;
  const networks::Optimizer optimizer = o.optimizer;
  const std::string prescribed = optimizer == networks::Optimizer::adam ? "sqrt" : "linear";
  auto train_loss = [&](std::int64_t B, double lr, int s) {
    networks::Model m = networks::Model::create(spec, cr.checkpoints.back().model.device());
    networks::TrainOptions t;
    t.epochs = epochs;
    t.batch_size = B;
    t.optimizer = optimizer;
    t.lr = lr;
    t.momentum = momentum;
    t.schedule = networks::LrSchedule::constant;
    t.evaluate_test = true;
    t.seed = seed + static_cast<std::uint64_t>(s);
    const auto tr = networks::train(m, data, t);
    return tr.status == networks::TrainStatus::complete && !tr.history.empty() ? tr.history.back().test_loss : std::numeric_limits<double>::infinity();
  };
  // Tuning at B0: the lowest mean test loss over the grid.
  std::vector<double> tune_mean;
  std::vector<std::vector<double>> tune;
  for (double lr : lrs) {
    std::vector<double> v;
    for (int s = 0; s < seeds; ++s) v.push_back(train_loss(B0, lr, s));
    tune.push_back(v);
    double m = 0;
    for (double x : v) m += x;
    tune_mean.push_back(m / seeds);
  }
  const auto best = static_cast<std::size_t>(std::min_element(tune_mean.begin(), tune_mean.end()) - tune_mean.begin());
  const double lr0 = lrs[best];
  std::vector<RuleRun> runs;
  for (const auto B : Bs)
    for (const std::string rule : {"constant", "sqrt", "linear"}) {
      RuleRun rr;
      rr.rule = rule;
      rr.B = B;
      rr.lr = scaled_lr(rule, lr0, B0, B);
      for (int s = 0; s < seeds; ++s) rr.test_loss.push_back(train_loss(B, rr.lr, s));
      runs.push_back(rr);
    }
  const auto js = judge_batch_rules(tune[best], runs, prescribed);
  std::vector<Verdict> vs;
  note = "paper protocol (" + networks::to_string(optimizer) + ", " + std::to_string(epochs) + " epochs from initialisation, " + std::to_string(seeds) +
         " seeds, constant lr tuned at B0=" + std::to_string(B0) + " over " + std::to_string(lrs.size()) + " rates: " + format_number(lr0) +
         "; prescribed rule " + prescribed + "): ";
  for (const auto& j : js) {
    vs.push_back(j.verdict);
    note += j.note + "; ";
  }
  r.series["protocol_lrs"] = lrs;
  r.series["protocol_tuning_mean_loss"] = tune_mean;
  r.series["protocol_tuned_loss"] = tune[best];
  std::string rules;
  for (const auto& rr : runs) rules += (rules.empty() ? "" : ",") + rr.rule;
  r.series["protocol_B"] = column(runs, [](const RuleRun& rr) { return rr.B; });
  r.series["protocol_lr"] = column(runs, [](const RuleRun& rr) { return rr.lr; });
  r.series["protocol_mean_loss"] = column(runs, [](const RuleRun& rr) { return finite_summary(rr.test_loss).mean; });
  r.labels["protocol_rules"] = rules;
  r.scalars["protocol_lr0"] = lr0;
  r.labels["protocol"] = note;
  return combine_parts(vs);
}

#else

Verdict run_batch_rule_protocol(ClaimResult& r, const Config&, const BatchRuleProtocolOptions&, std::uint64_t, std::string& note) {
  note = "this build has no LibTorch: the paper's protocol cannot run";
  r.labels["protocol"] = note;
  return Verdict::not_measured;
}

#endif

}  // namespace batchrmt::verify
