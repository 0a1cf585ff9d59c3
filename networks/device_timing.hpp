// Timings of curvature products that stay on the operator's device (`batchrmt bench curvature`,
// scripts/gpu-check.sh). No LibTorch in this header.
//
// The reference figures are PyTorch calls whose results stay on the GPU, so the products are
// timed the same way: gradient_on_device / apply_on_device, with the device synchronised before
// and after every call (kernel launches are asynchronous), no host copy of the P-vector. One
// warm-up call first (allocator, cuDNN autotuning, kept graphs); the median of `repeats` calls.
#pragma once

#include <cstdint>

#include "networks/curvature.hpp"

namespace batchrmt::networks {

// Milliseconds per mean gradient of the operator's loss over its index set.
double gradient_milliseconds(const CurvatureOperator& op, int repeats);
// Milliseconds per product H_S v with a fixed unit Gaussian v from RandomStream(seed, 0x7e000000).
double product_milliseconds(const CurvatureOperator& op, int repeats, std::uint64_t seed);

}  // namespace batchrmt::networks
