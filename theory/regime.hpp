// Regime labels shared by the theory results (docs/theory.md §2.3, §2.6, §3.4).
#pragma once

#include <string>

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

}  // namespace batchrmt::theory
