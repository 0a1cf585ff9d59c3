#include "verify/lr_claim_parts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"

namespace batchrmt::verify {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::size_t factor_index(const LrJudgeOptions& o, double f) {
  for (std::size_t i = 0; i < o.factors.size(); ++i)
    if (std::abs(o.factors[i] - f) < 1e-12) return i;
  throw InvalidInput("learning-rate judgement: the reference divergence factor " + format_number(f) +
                     " is not one of the measured factors.");
}

namespace {

bool usable(const FactorLimit& l) { return std::isfinite(l.lr_max) && l.lr_max > 0 && l.ln_se > 0; }

// Weighted log-log fit of the rows with use[i] and a value (ln value, ln se) from `point`.
template <typename Point>
SlopeFit fit_log_log(const std::vector<LrPoint>& pts, const std::vector<bool>& use, Point point) {
  std::vector<double> x, y, se;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    double value = 0, ln_se = 0;
    if (!use[i] || !point(pts[i], value, ln_se)) continue;
    x.push_back(std::log(static_cast<double>(pts[i].B)));
    y.push_back(std::log(value));
    se.push_back(ln_se);
  }
  SlopeFit s;
  s.points = x.size();
  if (x.size() < 2) {
    s.slope = s.slope_se = kNaN;
    return s;
  }
  const LineFit lf = fit_line(x, y, se);
  s.slope = lf.slope;
  s.slope_se = lf.slope_se;
  return s;
}

SlopeFit fit_measured(const std::vector<LrPoint>& pts, const std::vector<bool>& use, std::size_t f) {
  return fit_log_log(pts, use, [f](const LrPoint& p, double& v, double& se) {
    if (!usable(p.limits[f])) return false;
    v = p.limits[f].lr_max;
    se = p.limits[f].ln_se;
    return true;
  });
}

SlopeFit fit_predicted(const std::vector<LrPoint>& pts, const std::vector<bool>& use) {
  return fit_log_log(pts, use, [](const LrPoint& p, double& v, double& se) {
    if (!(p.predicted > 0 && p.predicted_ln_se > 0)) return false;
    v = p.predicted;
    se = p.predicted_ln_se;
    return true;
  });
}

std::string list_B(const std::vector<LrPoint>& pts, const std::vector<bool>& use) {
  std::string s;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (use[i]) s += (s.empty() ? "" : ",") + std::to_string(pts[i].B);
  return "{" + s + "}";
}

}  // namespace

LrJudgement judge_learning_rates(const std::vector<LrPoint>& pts, const LrJudgeOptions& o) {
  const std::size_t ref = factor_index(o, o.reference_factor);
  LrJudgement j;
  // (a) per batch size.
  std::vector<Verdict> judged;
  int reported = 0, not_bracketed = 0;
  for (const auto& p : pts) {
    if (p.limits.size() != o.factors.size())
      throw InvalidInput("learning-rate judgement: B=" + std::to_string(p.B) + " has " + std::to_string(p.limits.size()) +
                         " limits for " + std::to_string(o.factors.size()) + " divergence factors.");
    LrRowJudgement rj;
    const FactorLimit& l = p.limits[ref];
    if (!usable(l) || !(p.predicted > 0) || !(p.null_value > 0)) {
      rj.z = rj.z_mean_square = rj.se = rj.power = kNaN;
      rj.rule = "not judged: " + (usable(l) ? std::string("no prediction") : l.status);
      ++not_bracketed;
      j.rows.push_back(rj);
      continue;
    }
    const double m = std::log(l.lr_max);
    rj.se = std::hypot(l.ln_se, p.predicted_ln_se);
    rj.power = std::abs(std::log(p.predicted / p.null_value)) / rj.se;
    const Judgement jd = judge_against_null(std::log(p.predicted), std::log(p.null_value), m, rj.se, o.ln_budget);
    rj.z = jd.z;
    rj.z_mean_square = p.mean_square > 0 ? z_score(std::log(p.mean_square), m, std::hypot(l.ln_se, p.mean_square_ln_se)) : kNaN;
    if (rj.power >= 4.0 || jd.verdict == Verdict::disagrees) {
      rj.verdict = jd.verdict;
      rj.rule = jd.rule;
      judged.push_back(jd.verdict);
    } else {
      ++reported;
      rj.rule = "reported: the prediction is " + format_number(rj.power, 2) + " se from the null (no power), and within its tolerance";
    }
    j.rows.push_back(rj);
  }
  if (judged.empty()) {
    j.per_b = pts.empty() ? Verdict::not_measured : Verdict::inconclusive;
    j.per_b_note = "no batch size whose prediction is 4 se from the no-batch-effect value (" + std::to_string(reported) + " reported, " +
                   std::to_string(not_bracketed) + " without a bracketed limit)";
  } else {
    j.per_b = combine_parts(judged);
    int a = 0, d = 0, i = 0;
    for (auto v : judged) a += v == Verdict::agrees, d += v == Verdict::disagrees, i += v == Verdict::inconclusive;
    j.per_b_note = std::to_string(judged.size()) + " batch sizes judged at divergence factor " + format_number(o.reference_factor) + ": " +
                   std::to_string(a) + " agree, " + std::to_string(d) + " disagree, " + std::to_string(i) + " inconclusive; " +
                   std::to_string(reported) + " reported without power, " + std::to_string(not_bracketed) + " not bracketed; per-B budget " +
                   format_number(o.ln_budget, 3) + " in ln lr";
  }

  // (b) scaling.
  std::vector<bool> nd(pts.size()), asym(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    nd[i] = pts[i].top_ratio >= o.nd_ratio && pts[i].regime_ok;
    asym[i] = pts[i].q >= o.q_asymptotic && pts[i].regime_ok;
    j.largest_q = std::max(j.largest_q, pts[i].q);
  }
  for (std::size_t f = 0; f < o.factors.size(); ++f) {
    j.nd_slopes.push_back(fit_measured(pts, nd, f));
    j.asym_slopes.push_back(fit_measured(pts, asym, f));
  }
  j.predicted_nd_slope = fit_predicted(pts, nd);
  std::string nd_text = "noise-dominated B " + list_B(pts, nd) + " (lambda'_1 >= " + format_number(o.nd_ratio) + " lambda): measured slope ";
  for (std::size_t f = 0; f < o.factors.size(); ++f)
    nd_text += (f ? ", " : "") + format_number(j.nd_slopes[f].slope, 3) + " +- " + format_number(j.nd_slopes[f].slope_se, 2) + " (factor " +
               format_number(o.factors[f]) + ")";
  nd_text += " vs the formula's own slope " + format_number(j.predicted_nd_slope.slope, 3) + " +- " +
             format_number(j.predicted_nd_slope.slope_se, 2) + " over the same B (z = " +
             format_number(z_score(j.predicted_nd_slope.slope, j.nd_slopes[ref].slope,
                                 std::hypot(j.nd_slopes[ref].slope_se, j.predicted_nd_slope.slope_se)),
                           3) +
             ")";
  std::string regime_notes;
  for (const auto& p : pts)
    if (!p.regime_ok && !p.regime_note.empty()) regime_notes += (regime_notes.empty() ? "" : "; ") + p.regime_note;
  const SlopeFit& a = j.asym_slopes[ref];
  j.scaling_z = kNaN;
  if (a.points < 2) {
    j.scaling = Verdict::outside_regime;
    j.scaling_note = "fewer than two batch sizes with q_B >= " + format_number(o.q_asymptotic) + " and a bracketed limit (largest q_B " +
                     format_number(j.largest_q, 3) + ")" + (regime_notes.empty() ? "" : "; " + regime_notes) + "; " + nd_text;
    return j;
  }
  std::string dependence, unfitted;
  for (std::size_t f = 0; f < o.factors.size(); ++f) {
    if (j.asym_slopes[f].points < 2) {  // that factor's limit lies outside the grid at these B
      unfitted += (unfitted.empty() ? "" : ", ") + std::string("factor ") + format_number(o.factors[f]);
      continue;
    }
    if (!(std::abs(j.asym_slopes[f].slope - a.slope) <= 2 * a.slope_se))
      dependence += (dependence.empty() ? "" : ", ") + std::string("factor ") + format_number(o.factors[f]) + " gives " +
                    format_number(j.asym_slopes[f].slope, 3);
  }
  if (!unfitted.empty()) nd_text += "; no slope for " + unfitted + " (fewer than two bracketed B)";
  const std::string fit = "slope over q_B >= " + format_number(o.q_asymptotic) + " B " + list_B(pts, asym) + ": " + format_number(a.slope, 3) +
                          " +- " + format_number(a.slope_se, 2) + " at factor " + format_number(o.reference_factor);
  if (!dependence.empty()) {
    j.scaling = Verdict::inconclusive;
    j.scaling_z = z_score(o.claim_slope, a.slope, a.slope_se);
    j.scaling_note = fit + "; inconclusive: the slope depends on the divergence factor (" + dependence + ", beyond 2 se); " + nd_text;
    return j;
  }
  const Judgement jd = judge_against_null(o.claim_slope, o.null_slope, a.slope, a.slope_se, o.slope_budget);
  j.scaling = jd.verdict;
  j.scaling_z = jd.z;
  j.scaling_note = fit + " against the law " + format_number(o.claim_slope) + " (null " + format_number(o.null_slope) + "): " + jd.rule + "; " + nd_text;
  return j;
}

void put_learning_rates(ClaimResult& r, const std::string& p, const std::vector<LrPoint>& pts, const LrJudgement& j,
                        const LrJudgeOptions& o) {
  auto col = [&](const std::string& k, auto get) {
    std::vector<double> v;
    for (std::size_t i = 0; i < pts.size(); ++i) v.push_back(get(i));
    r.series[p + k] = v;
  };
  col("B", [&](std::size_t i) { return static_cast<double>(pts[i].B); });
  col("kappa", [&](std::size_t i) { return pts[i].kappa; });
  col("q", [&](std::size_t i) { return pts[i].q; });
  col("top_ratio", [&](std::size_t i) { return pts[i].top_ratio; });
  col("predicted", [&](std::size_t i) { return pts[i].predicted; });
  col("predicted_ln_se", [&](std::size_t i) { return pts[i].predicted_ln_se; });
  col("mean_square", [&](std::size_t i) { return pts[i].mean_square; });
  col("null", [&](std::size_t i) { return pts[i].null_value; });
  col("z", [&](std::size_t i) { return j.rows[i].z; });
  col("z_mean_square", [&](std::size_t i) { return j.rows[i].z_mean_square; });
  col("power", [&](std::size_t i) { return j.rows[i].power; });
  for (std::size_t f = 0; f < o.factors.size(); ++f) {
    const std::string s = "_f" + format_number(o.factors[f], 3);
    col("lr_max" + s, [&](std::size_t i) { return pts[i].limits[f].lr_max; });
    col("lr_lo" + s, [&](std::size_t i) { return pts[i].limits[f].lr_lo; });
    col("lr_hi" + s, [&](std::size_t i) { return pts[i].limits[f].lr_hi; });
    col("ln_se" + s, [&](std::size_t i) { return pts[i].limits[f].ln_se; });
    r.scalars[p + "slope_nd" + s] = j.nd_slopes[f].slope;
    r.scalars[p + "slope_nd_se" + s] = j.nd_slopes[f].slope_se;
    r.scalars[p + "slope_asymptotic" + s] = j.asym_slopes[f].slope;
    r.scalars[p + "slope_asymptotic_se" + s] = j.asym_slopes[f].slope_se;
  }
  r.series[p + "factors"] = o.factors;
  r.scalars[p + "predicted_slope_nd"] = j.predicted_nd_slope.slope;
  r.scalars[p + "predicted_slope_nd_se"] = j.predicted_nd_slope.slope_se;
  r.scalars[p + "largest_q"] = j.largest_q;
  r.scalars[p + "scaling_z"] = j.scaling_z;
  r.scalars[p + "ln_budget"] = o.ln_budget;
  std::string verdicts;
  for (const auto& row : j.rows)
    verdicts += (verdicts.empty() ? "" : ",") + (row.verdict == Verdict::not_measured ? std::string("reported") : to_string(row.verdict));
  r.labels[p + "row_verdict"] = verdicts;
  r.labels[p + "part_a_verdict"] = to_string(j.per_b);
  r.labels[p + "part_b_verdict"] = to_string(j.scaling);
  r.labels[p + "part_a"] = j.per_b_note;
  r.labels[p + "part_b"] = j.scaling_note;
}

void put_scaling_headline(ClaimResult& r, const LrJudgement& j, const LrJudgeOptions& o) {
  const std::size_t ref = factor_index(o, o.reference_factor);
  r.prediction = o.claim_slope;
  r.measurement = j.asym_slopes[ref].slope;
  r.stderr_ = j.asym_slopes[ref].slope_se;
  r.z = j.scaling_z;
}

}  // namespace batchrmt::verify
