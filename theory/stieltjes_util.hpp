// Small helpers shared by the closed-form laws (docs/theory.md §2.1 Branches).
#pragma once

#include <complex>

namespace batchrmt::theory::branch {

// A real z given as x - 0i would select the lower boundary value; batchrmt always means the
// upper one, m(x + i0). Replace a signed zero imaginary part by +0.
inline std::complex<double> upper_zero(std::complex<double> z) {
  if (z.imag() == 0.0) return {z.real(), 0.0};
  return z;
}

}  // namespace batchrmt::theory::branch
