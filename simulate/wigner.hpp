// Dense Wigner (GOE-normalised) matrices, docs/theory.md 2.1 and 4.6.
#pragma once

#include <Eigen/Dense>
#include <string>

#include "core/rng.hpp"

namespace batchrmt::simulate {

// Law of the standardised entries (mean 0, variance 1) before scaling.
enum class EntryLaw { gaussian, rademacher, uniform };

EntryLaw parse_entry_law(const std::string& name);  // "gaussian" | "rademacher" | "uniform"
std::string to_string(EntryLaw law);

// Real symmetric n x n Wigner matrix in the normalisation of docs/theory.md 2.1 [STD]:
// E W_jk = 0, E W_jk^2 = sigma^2 / n (j != k), E W_jj^2 = 2 sigma^2 / n (GOE), so the
// spectrum tends to the semicircle on [-2 sigma, 2 sigma] and E tr W^2 = sigma^2 (n + 1).
// Entries are drawn row by row over the upper triangle (j <= k) from `rng`, in that order.
// Cost: n(n+1)/2 draws, 8 n^2 bytes.
Eigen::MatrixXd sample_wigner(Eigen::Index n, double sigma, RandomStream& rng,
                              EntryLaw law = EntryLaw::gaussian);

// One standardised entry (mean 0, variance 1) of the given law.
double standard_entry(EntryLaw law, RandomStream& rng);

}  // namespace batchrmt::simulate
