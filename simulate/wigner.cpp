#include "simulate/wigner.hpp"

#include <cmath>

#include "core/checks.hpp"
#include "core/enum_names.hpp"

namespace batchrmt::simulate {

namespace {
constexpr EnumNames<EntryLaw, 3> kEntryLawNames{{
    {EntryLaw::gaussian, "gaussian"}, {EntryLaw::rademacher, "rademacher"}, {EntryLaw::uniform, "uniform"}}};
}  // namespace

EntryLaw parse_entry_law(const std::string& name) { return parse_enum(kEntryLawNames, "entry law", name); }
std::string to_string(EntryLaw law) { return enum_name(kEntryLawNames, law); }

double standard_entry(EntryLaw law, RandomStream& rng) {
  switch (law) {
    case EntryLaw::gaussian: return rng.normal();
    case EntryLaw::rademacher: return rng.rademacher();
    case EntryLaw::uniform: return std::sqrt(3.0) * (2.0 * rng.uniform() - 1.0);  // U(-sqrt3, sqrt3): variance 1
  }
  return 0.0;
}

Eigen::MatrixXd sample_wigner(Eigen::Index n, double sigma, RandomStream& rng, EntryLaw law) {
  check_at_least<Eigen::Index>("sample_wigner", "n", n, 1);
  check_nonnegative("sample_wigner", "sigma", sigma);
  Eigen::MatrixXd w(n, n);
  const double off_sd = sigma / std::sqrt(static_cast<double>(n));
  const double diag_sd = std::sqrt(2.0) * off_sd;
  for (Eigen::Index j = 0; j < n; ++j) {
    w(j, j) = diag_sd * standard_entry(law, rng);
    for (Eigen::Index k = j + 1; k < n; ++k) {
      const double x = off_sd * standard_entry(law, rng);
      w(j, k) = x;
      w(k, j) = x;
    }
  }
  return w;
}

}  // namespace batchrmt::simulate
