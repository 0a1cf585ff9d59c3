// Regime labels shared by the theory results (docs/theory.md §2.3, §2.6, §3.4).
#pragma once

#include <cmath>
#include <string>

#include "core/checks.hpp"

namespace batchrmt::theory {

// Where a predicted extreme eigenvalue sits relative to the BBP transition.
enum class SpikeRegime {
  Supercritical,  // an outlier separates from the bulk
  Critical,       // exactly at the threshold: the outlier meets the edge
  Subcritical,    // no outlier: the extreme eigenvalue sticks to the bulk edge
};

inline const char* to_string(SpikeRegime r) {
  switch (r) {
    case SpikeRegime::Supercritical: return "outlier";
    case SpikeRegime::Critical: return "threshold";
    case SpikeRegime::Subcritical: return "edge";
  }
  return "unknown";
}

// The regime of a spike of strength `strength` (in the units of its BBP threshold) against that
// threshold (docs/theory.md §2.3, §2.6).
inline SpikeRegime regime_of(double strength, double threshold) {
  if (strength > threshold) return SpikeRegime::Supercritical;
  return strength == threshold ? SpikeRegime::Critical : SpikeRegime::Subcritical;
}

// The standard deviation sqrt(variance_coefficient / size) of an outlier's fluctuation at matrix
// size `size` > 0 (docs/theory.md §2.3, §2.6); 0 when no outlier separates. `function` and
// `size_name` name the caller and its size parameter in a refusal.
inline double outlier_sd(const char* function, const char* size_name, SpikeRegime regime, double variance_coefficient,
                         double size) {
  check_positive(function, size_name, size);
  if (regime != SpikeRegime::Supercritical) return 0.0;
  return std::sqrt(variance_coefficient / size);
}

}  // namespace batchrmt::theory
