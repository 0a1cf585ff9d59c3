// Lanczos on a curvature operator with its Krylov basis where the operator computes (docs/theory.md
// 5.5; the goal "Lanczos step <= 1.1 x HVP" on a GPU, docs/performance.md). No LibTorch in this header.
//
// spectral::Lanczos keeps the basis in host memory: on a GPU every step then copies the vector
// to the host and back (2 P doubles over PCIe) and reorthogonalises on the CPU, reading j P
// basis entries 2 x passes times per step, which for a 36.5 M-parameter WRN-28-10 is seconds per
// step against ~0.1 s for the HVP. Here the basis is a (m x P) tensor on the operator's device,
// the products come from CurvatureOperator::apply_on_device, and the host sees only alpha_j,
// beta_j (one scalar read per CGS pass) and, at the end, the wanted Ritz vectors.
//
// Same algorithm, options and result as spectral::Lanczos (its building blocks are shared:
// option checks, start vector from RandomStream(seed, stream), stopping test, Ritz selection):
// full reorthogonalisation only (classical Gram-Schmidt, `passes` passes, Golub & Van Loan
// 10.3.1), fp64 basis in the fused Arnoldi form (alpha_j from the projections), fp32 basis with
// fp32 projections. On the CPU it reproduces spectral::lanczos to rounding (a test checks it).
// Cost per step: one HVP, 2 x passes GEMVs over j P basis entries on the device, passes + 1
// device-to-host scalar reads (each a synchronisation). Memory: m P basis entries on the device.
#pragma once

#include <string>

#include "networks/curvature.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks {

// LanczosBasisPlacement, parse_lanczos_basis and to_string are declared in curvature.hpp.

// Where a run with options `o` keeps its basis: host for `host`; device for `device`
// (InvalidInput unless `o` asks for full reorthogonalisation with a stored basis); for
// `automatic`, device when the operator computes on CUDA and `o` allows it, host otherwise.
// Never returns automatic.
LanczosBasisPlacement resolve_lanczos_basis(const CurvatureOperator& op, const spectral::LanczosOptions& o,
                                            LanczosBasisPlacement where);

// spectral::lanczos(op, o, start) with the basis placed by resolve_lanczos_basis. When the m x P
// basis cannot be allocated on the device, `automatic` falls back to the host and `device`
// throws NumericalFailure. `used` (optional) receives where the basis was.
spectral::LanczosResult curvature_lanczos(const CurvatureOperator& op, const spectral::LanczosOptions& o,
                                          LanczosBasisPlacement where, const double* start = nullptr,
                                          LanczosBasisPlacement* used = nullptr);

}  // namespace batchrmt::networks
