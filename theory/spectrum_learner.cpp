#include "theory/spectrum_learner.hpp"

#include <algorithm>
#include <cmath>

#include "core/checks.hpp"
#include "core/enum_names.hpp"

namespace batchrmt::theory {

namespace {
constexpr EnumNames<LearnerVariant, 3> kVariantNames{{
    {LearnerVariant::SSGD, "ssgd"}, {LearnerVariant::SSGDM, "ssgdm"}, {LearnerVariant::SSGDMN, "ssgdmn"}}};
constexpr EnumNames<MuRule, 2> kMuRuleNames{{{MuRule::Minimum, "minimum"}, {MuRule::Median, "median"}}};
}  // namespace

LearnerVariant parse_learner_variant(const std::string& name) {
  return parse_enum(kVariantNames, "learner variant", name);
}
MuRule parse_mu_rule(const std::string& name) { return parse_enum(kMuRuleNames, "mu rule", name); }
const char* to_string(LearnerVariant v) { return enum_name(kVariantNames, v); }
const char* to_string(MuRule r) { return enum_name(kMuRuleNames, r); }

LearnerChoice spectrum_learner_rates(const std::vector<double>& ritz, const std::vector<double>& weights,
                                     LearnerVariant variant, MuRule rule, MomentumFormula formula) {
  const char* f = "spectrum_learner_rates";
  if (ritz.empty()) throw InvalidInput(std::string(f) + ": no Ritz values were given, but at least one is required.");
  for (double t : ritz) check_finite(f, "Ritz value", t);
  if (rule == MuRule::Minimum) check_size_match(f, "weights", weights.size(), "Ritz values", ritz.size());
  LearnerChoice c;
  std::vector<double> abs_theta;
  for (double t : ritz) abs_theta.push_back(std::abs(t));
  c.L = *std::max_element(abs_theta.begin(), abs_theta.end());
  if (!(c.L > 0)) throw InvalidInput(std::string(f) + ": the largest |Ritz value| is 0, but must be positive.");
  if (rule == MuRule::Minimum) {
    // §6.4 step 4: delete the value carrying the largest remaining weight while it exceeds 0.5
    // (it sits on the spectral mass near 0), then mu = min of the remaining |theta|.
    std::vector<double> w = weights;
    std::vector<double> a = abs_theta;
    for (;;) {
      const auto it = std::max_element(w.begin(), w.end());
      if (it == w.end() || *it <= 0.5 || a.size() == 1) break;
      const auto k = it - w.begin();
      w.erase(it);
      a.erase(a.begin() + k);
      ++c.deleted;
    }
    c.kept = a;
    c.mu = *std::min_element(a.begin(), a.end());
  } else {
    std::vector<double> s = abs_theta;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    c.mu = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    c.kept = abs_theta;
  }
  const double sL = std::sqrt(c.L), smu = std::sqrt(c.mu);
  switch (variant) {
    case LearnerVariant::SSGD:
      c.lr = 2.0 / (c.L + c.mu);
      c.momentum = 0.0;
      break;
    case LearnerVariant::SSGDM: {
      const auto hb = heavy_ball_optimal(c.L, c.mu, formula);
      c.lr = hb.lr;
      c.momentum = hb.momentum;
      break;
    }
    case LearnerVariant::SSGDMN:
      c.lr = std::sqrt(c.mu / c.L);
      c.momentum = (sL - smu) / (sL + smu);
      break;
  }
  return c;
}

}  // namespace batchrmt::theory
