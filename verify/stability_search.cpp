#include "verify/stability_search.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt::verify {

StabilityLimit find_stability_limit(const StabilityRun& run, const StabilitySearchOptions& o) {
  const char* f = "find_stability_limit";
  check_positive(f, "lr_start", o.lr_start);
  check_positive(f, "lr_min", o.lr_min);
  check_bounded(f, "lr_start", o.lr_start, o.lr_min, o.lr_max);
  if (!(o.growth > 1.0)) throw InvalidInput(std::string(f) + ": growth is " + detail::format_value(o.growth) + ", but must exceed 1.");
  check_bounded(f, "bisections", o.bisections, 0, 60);
  check_at_least(f, "seeds", o.seeds, 1);
  StabilityLimit out;
  auto stable = [&](double lr) {
    for (int s = 0; s < o.seeds; ++s) {
      const StabilityTrial t = run(lr, o.first_seed + static_cast<std::uint64_t>(s));
      out.trials.push_back(t);
      if (t.diverged) return false;
    }
    return true;
  };
  double lo = 0.0, hi = 0.0;
  double lr = o.lr_start;
  if (stable(lr)) {
    lo = lr;
    for (;;) {
      const double next = lo * o.growth;
      if (next > o.lr_max) {
        out.lr_lo = out.lr_hi = out.lr_max = lo;
        out.status = "stable up to lr_max";
        return out;
      }
      if (stable(next)) lo = next;
      else {
        hi = next;
        break;
      }
    }
  } else {
    hi = lr;
    for (;;) {
      const double next = hi / o.growth;
      if (next < o.lr_min) {
        out.lr_lo = out.lr_hi = out.lr_max = hi;
        out.status = "diverges down to lr_min";
        return out;
      }
      if (stable(next)) {
        lo = next;
        break;
      }
      hi = next;
    }
  }
  for (int b = 0; b < o.bisections; ++b) {
    const double mid = std::sqrt(lo * hi);
    if (stable(mid)) lo = mid;
    else hi = mid;
  }
  out.lr_lo = lo;
  out.lr_hi = hi;
  out.lr_max = std::sqrt(lo * hi);
  out.bracketed = true;
  out.status = "bracketed";
  return out;
}

}  // namespace batchrmt::verify
