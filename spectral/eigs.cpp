// Top-k / bottom-k eigenpairs: Spectra SymEigsSolver and our Lanczos. See eigs.hpp.
#include "spectral/eigs.hpp"

#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/enum_names.hpp"
#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "spectral/detail_util.hpp"

namespace batchrmt::spectral {

namespace {
constexpr EnumNames<Which, 2> kWhichNames{{{Which::Largest, "largest"}, {Which::Smallest, "smallest"}}};
constexpr EnumNames<EigsMethod, 2> kMethodNames{{{EigsMethod::Spectra, "spectra"}, {EigsMethod::Lanczos, "lanczos"}}};
constexpr EnumNames<EigsStatus, 2> kEigsStatusNames{
    {{EigsStatus::Converged, "converged"}, {EigsStatus::NotConverged, "not_converged"}}};
}  // namespace

const char* to_string(Which w) { return enum_name(kWhichNames, w); }
const char* to_string(EigsMethod m) { return enum_name(kMethodNames, m); }
const char* to_string(EigsStatus s) { return enum_name(kEigsStatusNames, s); }

namespace {

using detail::Clock;
using detail::seconds_since;

void check_options(const char* fn, Eigen::Index n, const EigsOptions& o) {
  check_at_least(fn, "operator rows", n, Eigen::Index(1));
  check_bounded(fn, "nev", o.nev, std::size_t(1), static_cast<std::size_t>(n));
  check_positive(fn, "tol", o.tol);
  if (o.start == StartVector::Given)
    throw InvalidInput(std::string(fn) + ": start is given, but eigs draws its own start vector (rademacher or gaussian).");
}

Eigen::VectorXd start_vector(const EigsOptions& o, Eigen::Index n) {
  Eigen::VectorXd v(n);
  RandomStream rng(o.seed, o.stream);
  if (o.start == StartVector::Rademacher)
    rng.fill_rademacher(v.data(), static_cast<std::size_t>(n));
  else
    rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  return v;
}

// A result that echoes the request: method, side, nev, tolerance and start vector.
EigsResult result_of_request(EigsMethod method, const EigsOptions& o) {
  EigsResult r;
  r.method = method;
  r.which = o.which;
  r.requested = o.nev;
  r.tol = o.tol;
  r.seed = o.seed;
  r.stream = o.stream;
  r.start = o.start;
  return r;
}

void true_residuals(OperatorRef op, EigsResult& r) {
  Eigen::VectorXd ay(op.rows());
  r.residuals.resize(r.values.size());
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const auto y = r.vectors.col(static_cast<Eigen::Index>(i));
    const Eigen::VectorXd yc = y;
    op.apply(yc.data(), ay.data());
    ++r.applications;
    r.residuals[i] = (ay - r.values[i] * yc).norm();
  }
}

}  // namespace

EigsResult eigs_spectra_ref(OperatorRef op, const EigsOptions& o) {
  const auto t0 = Clock::now();
  const char* fn = "eigs_spectra";
  const Eigen::Index n = op.rows();
  check_options(fn, n, o);
  EigsResult r = result_of_request(EigsMethod::Spectra, o);
  const auto nev = static_cast<Eigen::Index>(o.nev);
  Eigen::Index ncv = o.ncv > 0 ? static_cast<Eigen::Index>(o.ncv) : std::max<Eigen::Index>(2 * nev + 1, 20);
  ncv = std::min(ncv, n);
  if (nev >= n || ncv <= nev) {
    // Spectra needs nev < ncv <= n. Tiny problems: a dense solve would be the honest answer, but
    // the operator is matrix-free, so the caller gets Lanczos instead (exact after n steps).
    EigsResult l = eigs_lanczos_ref(op, o);
    l.wall_seconds = seconds_since(t0);
    return l;
  }
  SpectraOperator<OperatorRef> sop(op);
  Spectra::SymEigsSolver<SpectraOperator<OperatorRef>> solver(sop, nev, ncv);
  const Eigen::VectorXd v0 = start_vector(o, n);
  solver.init(v0.data());
  const Spectra::SortRule rule =
      o.which == Which::Largest ? Spectra::SortRule::LargestAlge : Spectra::SortRule::SmallestAlge;
  solver.compute(rule, static_cast<Eigen::Index>(o.max_restarts), o.tol, rule);
  r.iterations = static_cast<std::size_t>(solver.num_iterations());
  r.applications = static_cast<std::int64_t>(solver.num_operations());
  if (solver.info() == Spectra::CompInfo::NumericalIssue)
    throw NumericalFailure(std::string(fn) + ": Spectra reported a numerical issue.");
  r.status = solver.info() == Spectra::CompInfo::Successful ? EigsStatus::Converged : EigsStatus::NotConverged;
  const Eigen::VectorXd vals = solver.eigenvalues();  // only the converged ones, sorted by `rule`
  r.converged = static_cast<std::size_t>(vals.size());
  r.values.assign(vals.data(), vals.data() + vals.size());
  if (o.vectors && vals.size() > 0) {
    r.vectors = solver.eigenvectors();
    if (o.true_residuals) true_residuals(op, r);
  }
  r.wall_seconds = seconds_since(t0);
  return r;
}

EigsResult eigs_lanczos_ref(OperatorRef op, const EigsOptions& o) {
  const auto t0 = Clock::now();
  const char* fn = "eigs_lanczos";
  const Eigen::Index n = op.rows();
  check_options(fn, n, o);
  LanczosOptions lo;
  lo.steps = std::min<std::size_t>(std::max(o.max_steps, o.nev), static_cast<std::size_t>(n));
  lo.reorth = Reorthogonalization::Full;
  lo.storage = BasisStorage::Fp64;
  lo.start = o.start;
  lo.seed = o.seed;
  lo.stream = o.stream;
  lo.tol = o.tol;
  lo.check_interval = o.check_interval;
  lo.restart_on_breakdown = true;
  if (o.which == Which::Largest) {
    lo.converge_top = o.nev;
    lo.vectors_top = o.vectors ? o.nev : 0;
  } else {
    lo.converge_bottom = o.nev;
    lo.vectors_bottom = o.vectors ? o.nev : 0;
  }
  Lanczos lz(lo);
  lz.compute_ref(op, nullptr);
  const LanczosResult& lr = lz.result();

  EigsResult r = result_of_request(EigsMethod::Lanczos, o);
  r.iterations = lr.steps;
  r.applications = lr.applications;
  // Breakdown means the Krylov space is invariant: its Ritz pairs are exact eigenpairs.
  r.status = (lr.status == LanczosStatus::Converged || lr.status == LanczosStatus::Breakdown)
                 ? EigsStatus::Converged
                 : EigsStatus::NotConverged;
  const std::size_t m = lr.steps;
  const std::size_t k = std::min(o.nev, m);
  double tnorm = 0.0;
  for (double a : lr.alpha) tnorm = std::max(tnorm, std::fabs(a));
  for (double b : lr.beta) tnorm = std::max(tnorm, std::fabs(b));
  const double floor = std::pow(std::numeric_limits<double>::epsilon(), 2.0 / 3.0) * tnorm;
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t i = o.which == Which::Largest ? m - 1 - c : c;
    r.values.push_back(lr.ritz_values[i]);
    r.residual_bounds.push_back(lr.residuals[i]);
    if (lr.residuals[i] <= o.tol * std::max(std::fabs(lr.ritz_values[i]), floor)) ++r.converged;
  }
  if (o.vectors && k > 0) {
    // ritz_vector_indices are ascending; reorder to the wanted end first.
    r.vectors.resize(n, static_cast<Eigen::Index>(k));
    for (std::size_t c = 0; c < k; ++c) {
      const std::size_t i = o.which == Which::Largest ? m - 1 - c : c;
      const auto it = std::find(lr.ritz_vector_indices.begin(), lr.ritz_vector_indices.end(), i);
      r.vectors.col(static_cast<Eigen::Index>(c)) =
          lr.ritz_vectors.col(static_cast<Eigen::Index>(it - lr.ritz_vector_indices.begin()));
    }
    if (o.true_residuals) true_residuals(op, r);
  }
  r.wall_seconds = seconds_since(t0);
  return r;
}

}  // namespace batchrmt::spectral
