// Golden-file regression (`batchrmt verify regression`): a fixed set of theory grids and
// seeded simulations, recomputed and compared with tests/golden/regression.h5, each quantity
// with its own tolerance. A change that moves a number past its tolerance fails loudly.
#pragma once

#include <string>
#include <vector>

namespace batchrmt::verify {

struct RegressionQuantity {
  std::string name;         // also its dataset name in the golden file
  std::string description;
  std::vector<double> values;
  double rel_tol = 0.0;     // |new - golden| <= abs_tol + rel_tol * |golden|
  double abs_tol = 0.0;
};

// Theory: tolerance 1e-10 relative (the code, not rounding, must change to move them).
// Simulations: 1e-9 relative (seeded and bit-reproducible on one machine; the allowance
// covers BLAS kernels that differ between CPUs in the last bits of an eigenvalue).
// Networks ("networks." names, verify/regression_networks.cpp): 1e-6 relative. A build without
// LibTorch computes none of them and skips them in the comparison (it cannot measure them).
std::vector<RegressionQuantity> regression_quantities();
bool network_quantities_available();
void add_network_quantities(std::vector<RegressionQuantity>& quantities);

struct RegressionDifference {
  std::string name;
  std::size_t index = 0;
  double golden = 0.0, current = 0.0;
  std::string problem;  // "value", "missing in golden", "missing now", "length"
};

std::vector<RegressionDifference> compare_with_golden(const std::vector<RegressionQuantity>& current,
                                                      const std::string& golden_path);
void write_golden(const std::vector<RegressionQuantity>& quantities, const std::string& golden_path);

}  // namespace batchrmt::verify
