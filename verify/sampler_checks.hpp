// Self-checks of the simulators against exact identities (docs/theory.md 7.2 V1). They catch
// normalisation mistakes — a doubled diagonal variance, a 1/n for 1/sqrt(n) — before any
// theorem is tested on the simulated matrices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify/statistics.hpp"

namespace batchrmt::verify {

// Random streams of one run are (seed, stream) with stream = (experiment_id << 32) | trial,
// so every experiment of `reproduce` draws from its own, recorded family of streams.
std::uint64_t stream_id(std::uint32_t experiment_id, std::uint32_t trial);

inline constexpr std::uint32_t kGoeTraceExperiment = 1;

struct TraceCheck {
  std::string name = "V1 GOE trace identity";
  std::int64_t n = 0;
  std::int64_t trials = 0;
  double sigma = 1.0;
  std::uint64_t seed = 0;
  std::vector<std::uint64_t> streams;  // one per trial
  std::vector<double> trace_w2;        // tr W^2 per trial
  double prediction = 0.0;             // E tr W^2 = sigma^2 (n + 1)
  double variance = 0.0;               // Var tr W^2 = sigma^4 (8/n + 4(n-1)/n)
  SampleSummary summary;
  ZTest test;                          // stderr = sqrt(variance / trials) (exact), bias budget 0
  Verdict verdict = Verdict::not_measured;
  double seconds = 0.0;
};

// V1 [STD]: for a GOE matrix in the normalisation of docs/theory.md 2.1,
// E tr W^2 = sigma^2 (n + 1) and Var tr W^2 = sigma^4 (8/n + 4(n-1)/n), exactly.
// Passes iff |mean - sigma^2 (n+1)| <= 4 sqrt(Var / trials): false-alarm rate 6.3e-5
// (two-sided normal tail at 4 sd; the mean of >= 100 i.i.d. draws is normal to well
// within that). A doubled diagonal variance shifts the mean by 2 sigma^2, which this
// detects when 2 sigma^2 > 8 sqrt(Var/trials), i.e. trials >= 64.
TraceCheck goe_trace_check(std::int64_t n, double sigma, std::int64_t trials, std::uint64_t seed);

}  // namespace batchrmt::verify
