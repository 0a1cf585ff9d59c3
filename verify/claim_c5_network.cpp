// C5: the measured top eigenvalue of the batch Hessian of real networks per B against the
// no-free-parameter prediction lambda + kappa_B V_phi / lambda (docs/theory.md, "The
// no-free-parameter prediction"), judged in three parts per case (docs/curvature.md, "C5"):
//   (a) growth: the top rises from the largest to the smallest B (z >= 4);
//   (b) magnitude where q_B = kappa_B V_phi / lambda^2 <= perturbative_q: the first-order formula
//       with its own budget;
//   (c) magnitude where q_B > perturbative_q: the same formula, with the fitted exponent of
//       lambda'_1 against B and whether the second-order form explains a shortfall.
// A batch size agrees only where the predicted shift is at least 4 se (power); without power it
// can still disagree (a miss beyond the tolerance), otherwise it is reported. Every row shows the first-order, second-order and threshold (BBP) values side by side.
#include "verify/network_claims.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "theory/batch_hessian.hpp"
#include "verify/network_case.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kName = "real networks: measured top eigenvalue per B vs lambda + kappa_B V_phi / lambda";
}  // namespace

#ifndef BATCHRMT_WITH_TORCH

ClaimResult claim_real_network(const Config&, std::uint64_t) { return without_libtorch("C5", kName, "measure"); }

#else

namespace {

// C5's options, read once from the [c5] table (the cases' own keys: verify/network_case.hpp).
struct C5Options {
  std::vector<std::string> cases{"lenet_trained", "linear_init"};
  std::string headline;          // the case whose row heads the claim (default: the first)
  double perturbative_q = 0.5;   // (b) q_B <= this, (c) above
  double relative_budget = 0.1;  // of the predicted shift, plus the Ritz residual
  double min_power = 4.0;        // predicted shift / se needed to judge a batch size

  static C5Options from(const Config& c) {
    C5Options o;
    o.perturbative_q = c.number("c5.perturbative_q", o.perturbative_q);
    o.relative_budget = c.number("c5.relative_budget", o.relative_budget);
    o.cases = c.texts("c5.cases", o.cases);
    o.headline = c.text("c5.headline", o.cases.empty() ? "" : o.cases.front());
    return o;
  }
};

// One batch size of one case, judged.
struct C5Row {
  explicit C5Row(const networks::BatchRow& row)
      : B(row.B), kappa(row.kappa), q(row.q), top(row.top_mean), top_se(row.top_se) {}
  std::int64_t B = 0;
  double kappa = kNaN, q = kNaN;
  double top = kNaN, top_se = kNaN, residual = kNaN;
  double first = kNaN, first_se = kNaN, second = kNaN, threshold = kNaN;
  double se = kNaN;  // hypot(top_se, first_se): the measurement's and the prediction's (V_phi) error
  double power = kNaN;  // predicted shift / se
  double z_first = kNaN, z_second = kNaN, z_threshold = kNaN, budget = kNaN;
  char part = '-';  // 'b', 'c', or '-' (full row)
  Verdict verdict = Verdict::not_measured;  // not_measured: reported, not judged (no power)
  std::string rule;
};

struct PartResult {
  Verdict verdict = Verdict::not_measured;
  std::string note;
};

struct CaseJudgement {
  std::vector<C5Row> rows;
  PartResult a, b, c;
  double growth_z = kNaN;
  LineFit exponent_c;  // ln lambda'_1 on ln B over the part (c) rows
  bool second_explains = false;
  bool threshold_explains = false;
};

C5Row judge_row(const networks::SpectrumResult& s, const networks::BatchRow& row, const C5Options& o) {
  C5Row r(row);
  double res = 0;
  for (const auto& m : row.subsets) res += m.top_residual;
  r.residual = row.subsets.empty() ? kNaN : res / static_cast<double>(row.subsets.size());
  r.first = row.predicted_top;
  r.second = row.predicted_top_second;
  if (s.noise_top && std::isfinite(row.kappa)) {
    const auto& e = *s.noise_top;
    r.threshold = theory::threshold_top(e.lambda, row.kappa, e.v_phi);
    r.first_se = row.kappa * e.v_phi_se / std::abs(e.lambda);
  }
  if (row.full) return r;
  r.part = std::isfinite(r.q) && r.q > o.perturbative_q ? 'c' : 'b';
  r.se = std::hypot(r.top_se, r.first_se);
  if (!(std::isfinite(r.first) && std::isfinite(r.se) && r.se > 0)) return r;
  const double shift = r.first - s.lambda_full;
  r.budget = o.relative_budget * std::abs(shift) + (std::isfinite(r.residual) ? r.residual : 0.0);
  r.power = std::abs(shift) / r.se;
  r.z_first = z_score(r.first, r.top, r.se);
  r.z_second = z_score(r.second, r.top, r.se);
  r.z_threshold = z_score(r.threshold, r.top, r.se);
  const Judgement j = judge_against_null(r.first, s.lambda_full, r.top, r.se, r.budget);
  if (r.power < o.min_power && j.verdict != Verdict::disagrees) {
    // Without power a batch size can show a miss, never an agreement.
    r.rule = "reported: predicted shift " + format_number(shift, 3) + " is " + format_number(r.power, 2) + " se (< " +
             format_number(o.min_power, 2) + "), and the measurement is within its tolerance";
    return r;
  }
  r.verdict = j.verdict;
  r.rule = j.rule;
  return r;
}

// A part over its judged rows; with none judged, `inconclusive` when rows exist but lack power,
// `outside its regime` when the range holds no batch size.
PartResult combine_rows(const std::vector<C5Row>& rows, char part, const std::string& range) {
  PartResult p;
  std::vector<Verdict> v;
  int present = 0, agree = 0, disagree = 0, inconclusive = 0;
  for (const auto& r : rows) {
    if (r.part != part) continue;
    ++present;
    if (r.verdict == Verdict::not_measured) continue;
    v.push_back(r.verdict);
    agree += r.verdict == Verdict::agrees;
    disagree += r.verdict == Verdict::disagrees;
    inconclusive += r.verdict == Verdict::inconclusive;
  }
  if (present == 0) {
    p.verdict = Verdict::outside_regime;
    p.note = "no batch size with " + range;
  } else if (v.empty()) {
    p.verdict = Verdict::inconclusive;
    p.note = std::to_string(present) + " batch size(s) with " + range + ", none with a predicted shift of 4 se (no power)";
  } else {
    p.verdict = combine_parts(v);
    p.note = std::to_string(v.size()) + " of " + std::to_string(present) + " batch sizes with " + range + " judged: " +
             std::to_string(agree) + " agree, " + std::to_string(disagree) + " disagree, " + std::to_string(inconclusive) + " inconclusive";
  }
  return p;
}

CaseJudgement judge_case(const NetworkCase& nc, const C5Options& o) {
  CaseJudgement cj;
  const auto& s = nc.spectrum;
  for (const auto& row : s.rows) cj.rows.push_back(judge_row(s, row, o));
  // (a) growth from the largest to the smallest batch size (full data excluded: no spread).
  const C5Row* lo = nullptr;
  const C5Row* hi = nullptr;
  for (const auto& r : cj.rows) {
    if (r.part == '-') continue;
    if (!lo || r.B < lo->B) lo = &r;
    if (!hi || r.B > hi->B) hi = &r;
  }
  if (lo && hi && lo != hi) {
    cj.growth_z = (lo->top - hi->top) / std::hypot(lo->top_se, hi->top_se);
    const std::string what = "top at B=" + std::to_string(lo->B) + " " + format_number(lo->top) + " vs B=" + std::to_string(hi->B) + " " +
                             format_number(hi->top) + ", z = " + format_number(cj.growth_z, 3);
    cj.a.verdict = judge_direction(cj.growth_z);
    cj.a.note = what + (cj.a.verdict == Verdict::agrees      ? " (rises, z >= 4)"
                        : cj.a.verdict == Verdict::disagrees ? " (falls, z <= -4)"
                                                             : " (|z| < 4: no growth shown)");
  } else {
    cj.a.verdict = Verdict::outside_regime;
    cj.a.note = "fewer than two batch sizes";
  }
  const std::string qs = format_number(o.perturbative_q, 2);
  cj.b = combine_rows(cj.rows, 'b', "q_B <= " + qs);
  cj.c = combine_rows(cj.rows, 'c', "q_B > " + qs);
  // (c) diagnosis: the exponent of lambda'_1 against B, and the second-order form.
  std::vector<double> x, y, se;
  bool second_ok = true, threshold_ok = true;
  int judged_short = 0;
  for (const auto& r : cj.rows) {
    if (r.part != 'c' || !(r.top > 0 && r.top_se > 0)) continue;
    x.push_back(std::log(static_cast<double>(r.B)));
    y.push_back(std::log(r.top));
    se.push_back(r.top_se / r.top);
    if (r.verdict == Verdict::disagrees) {
      ++judged_short;
      second_ok = second_ok && std::isfinite(r.z_second) && std::abs(r.top - r.second) <= 4 * r.se + r.budget;
      threshold_ok = threshold_ok && std::isfinite(r.z_threshold) && std::abs(r.top - r.threshold) <= 4 * r.se + r.budget;
    }
  }
  if (x.size() >= 2) cj.exponent_c = fit_line(x, y, se);
  cj.second_explains = judged_short > 0 && second_ok;
  cj.threshold_explains = judged_short > 0 && threshold_ok;
  if (x.size() >= 2)
    cj.c.note += "; lambda'_1 ~ B^" + format_number(cj.exponent_c.slope, 3) + " +- " + format_number(cj.exponent_c.slope_se, 2) +
                 " there (first-order form: shift ~ 1/B)";
  if (judged_short > 0)
    cj.c.note += std::string("; the second-order form ") + (cj.second_explains ? "explains" : "does not explain") +
                 " the disagreeing rows, the threshold (BBP edge) form " + (cj.threshold_explains ? "explains" : "does not explain") +
                 " them (within 4 se + budget)";
  return cj;
}

std::string row_note(const C5Row& r) {
  return "B=" + std::to_string(r.B) + " (q=" + format_number(r.q, 2) + "): " + format_number(r.top) + " +- " + format_number(r.se, 2) +
         " vs first " + format_number(r.first) + " (z=" + format_number(r.z_first, 3) + "), second " + format_number(r.second) +
         " (z=" + format_number(r.z_second, 3) + "), threshold " + format_number(r.threshold) + " (z=" + format_number(r.z_threshold, 3) +
         "), budget " + format_number(r.budget, 3) + " -> " + (r.verdict == Verdict::not_measured ? std::string("reported") : to_string(r.verdict)) +
         "; ";
}

void put_case(ClaimResult& r, const NetworkCase& nc, const CaseJudgement& cj) {
  const auto& s = nc.spectrum;
  const std::string p = nc.label + "_";
  auto column = [&](const std::string& k, auto member) {
    std::vector<double> v;
    for (const auto& row : cj.rows) v.push_back(static_cast<double>(row.*member));
    r.series[p + k] = v;
  };
  column("B", &C5Row::B);
  column("kappa", &C5Row::kappa);
  column("q", &C5Row::q);
  column("top_mean", &C5Row::top);
  column("top_se", &C5Row::top_se);
  column("top_residual", &C5Row::residual);
  column("predicted_top", &C5Row::first);
  column("predicted_top_se", &C5Row::first_se);
  column("predicted_top_second", &C5Row::second);
  column("threshold_top", &C5Row::threshold);
  column("se", &C5Row::se);
  column("power", &C5Row::power);
  column("z", &C5Row::z_first);
  column("z_second", &C5Row::z_second);
  column("z_threshold", &C5Row::z_threshold);
  column("budget", &C5Row::budget);
  std::vector<double> bottom, bottom_se, subsets;
  for (const auto& row : s.rows) {
    bottom.push_back(row.bottom_mean);
    bottom_se.push_back(row.bottom_se);
    subsets.push_back(static_cast<double>(row.subsets.size()));
  }
  r.series[p + "bottom_mean"] = bottom;
  r.series[p + "bottom_se"] = bottom_se;
  r.series[p + "subsets"] = subsets;
  std::string parts, verdicts;
  for (const auto& row : cj.rows) {
    parts += (parts.empty() ? "" : ",") + std::string(1, row.part);
    verdicts += (verdicts.empty() ? "" : ",") + (row.verdict == Verdict::not_measured ? std::string("reported") : to_string(row.verdict));
  }
  r.labels[p + "row_part"] = parts;
  r.labels[p + "row_verdict"] = verdicts;
  r.labels[p + "part_a_verdict"] = to_string(cj.a.verdict);
  r.labels[p + "part_b_verdict"] = to_string(cj.b.verdict);
  r.labels[p + "part_c_verdict"] = to_string(cj.c.verdict);
  r.labels[p + "part_a"] = cj.a.note;
  r.labels[p + "part_b"] = cj.b.note;
  r.labels[p + "part_c"] = cj.c.note;
  r.scalars[p + "growth_z"] = cj.growth_z;
  r.labels[p + "second_order_explains"] = cj.second_explains ? "yes" : "no";
  r.labels[p + "threshold_explains"] = cj.threshold_explains ? "yes" : "no";
  r.scalars[p + "exponent_c"] = cj.exponent_c.points >= 2 ? cj.exponent_c.slope : kNaN;
  r.scalars[p + "exponent_c_se"] = cj.exponent_c.points >= 2 ? cj.exponent_c.slope_se : kNaN;
  r.scalars[p + "lambda_full"] = s.lambda_full;
  r.scalars[p + "lambda_full_residual"] = s.lambda_full_residual;
  r.scalars[p + "N"] = static_cast<double>(s.N);
  r.scalars[p + "P"] = static_cast<double>(s.P);
  r.scalars[p + "seconds"] = nc.seconds;
  if (s.noise_top) {
    r.scalars[p + "v_phi"] = s.noise_top->v_phi;
    r.scalars[p + "v_phi_se"] = s.noise_top->v_phi_se;
    r.scalars[p + "w_phi"] = s.noise_top->w_phi;
  }
  r.labels[p + "training"] = nc.training;
  if (!nc.work_file.empty()) r.labels[p + "spectrum_file"] = nc.work_file;
}

}  // namespace

ClaimResult claim_real_network(const Config& c, std::uint64_t seed) {
  const auto start = Clock::now();
  ClaimResult r = named_claim("C5", kName);
  const C5Options o = C5Options::from(c);
  std::string absent, labels, note;
  std::vector<Verdict> parts;
  bool headline_set = false;
  int measured = 0;
  for (const auto& name : o.cases) {
    const CaseRun run = measure_network_case(c, name, seed);
    if (!run.absent.empty()) absent += (absent.empty() ? "" : "; ") + run.absent;
    for (const auto& nc : run.checkpoints) {
      ++measured;
      const CaseJudgement cj = judge_case(nc, o);
      put_case(r, nc, cj);
      labels += (labels.empty() ? "" : ",") + nc.label;
      for (const auto* part : {&cj.a, &cj.b, &cj.c}) parts.push_back(part->verdict);
      const auto& s = nc.spectrum;
      note += nc.label + " (" + nc.training + ", P=" + std::to_string(s.P) + ", N=" + std::to_string(s.N) + "): lambda_full=" +
              format_number(s.lambda_full) +
              (s.noise_top ? ", V_phi=" + format_number(s.noise_top->v_phi) + " +- " + format_number(s.noise_top->v_phi_se, 2) : "") +
              ". (a) " + to_string(cj.a.verdict) + ": " + cj.a.note + ". (b) " + to_string(cj.b.verdict) + ": " + cj.b.note + ". (c) " +
              to_string(cj.c.verdict) + ": " + cj.c.note + ". Per B (measured +- se vs first-order, second-order and threshold forms; raw z): ";
      for (const auto& row : cj.rows)
        if (row.part != '-') note += row_note(row);
      note += "[" + format_number(nc.seconds, 3) + " s]. ";
      // Headline: the judged row with the largest q_B of the headline case (part (c) before (b)).
      if (!headline_set && nc.name == o.headline) {
        const C5Row* best = nullptr;
        for (const auto& row : cj.rows)
          if (row.verdict != Verdict::not_measured && (!best || row.q > best->q)) best = &row;
        if (best) {
          r.prediction = best->first;
          r.measurement = best->top;
          r.stderr_ = best->se;
          r.z = best->z_first;
          r.scalars["headline_B"] = static_cast<double>(best->B);
          r.labels["headline"] = nc.label + ", B=" + std::to_string(best->B) + ", part (" + std::string(1, best->part) + ")";
          headline_set = true;
        }
      }
    }
  }
  r.labels["cases"] = labels;
  if (!absent.empty()) {
    r.labels["not_measured"] = absent;
    note += "Not measured: " + absent + ". ";
  }
  if (measured == 0) {
    r.verdict = Verdict::not_measured;
    note = "no case could be measured. " + note;
  } else {
    r.verdict = combine_parts(parts);
    note = "Verdict = the worst part over the cases (disagrees > inconclusive > agrees > outside its regime); a batch size is judged "
           "where the predicted shift is >= 4 se (se = hypot(subset se, prediction se from V_phi)), with budget " +
           format_number(100 * o.relative_budget, 2) + "% of the shift + the mean Ritz residual and |z| <= 4 against the first-order "
           "form; inconclusive where the measurement is also within that tolerance of lambda (no shift). " + note;
  }
  r.note = note;
  r.seconds = seconds_since(start);
  return r;
}

#endif  // BATCHRMT_WITH_TORCH

}  // namespace batchrmt::verify
