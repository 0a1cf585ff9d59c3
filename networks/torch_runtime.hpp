// LibTorch runtime settings seen by the rest of batchrmt without including <torch/...>:
// version for provenance, thread count from --threads, device selection from --device.
#pragma once

#include <string>

namespace batchrmt::networks {

// LibTorch version, e.g. "1.13.1" (Debian) or "2.3.0" (CUDA build).
std::string libtorch_version();

// LibTorch uses one intra-op thread by default on these machines; set it from --threads.
void set_torch_threads(int threads);
int torch_threads();

bool cuda_available();

// Validates "cpu", "cuda" or "cuda:K" and returns it. Throws InvalidInput naming the value
// for anything else, and when CUDA is asked for on a build or machine without it.
std::string checked_device(const std::string& device);

// Under mpirun several ranks usually share a node: a plain "cuda" becomes "cuda:K" with
// K = local_rank mod (CUDA devices), so the ranks of a node use its GPUs in turn. Any other
// device (cpu, an explicit cuda:K) is returned unchanged. local_rank < 0: unchanged.
std::string device_for_local_rank(const std::string& device, int local_rank);

}  // namespace batchrmt::networks
