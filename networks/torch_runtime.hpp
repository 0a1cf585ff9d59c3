// LibTorch runtime settings seen by the rest of batchrmt without including <torch/...>:
// version for provenance, thread count from --threads, device selection from --device.
#pragma once

#include <string>

namespace batchrmt::networks {

// LibTorch version, e.g. "1.13.1" (Debian) or "2.3.0" (CUDA build).
std::string libtorch_version();

// LibTorch uses one intra-op thread by default on these machines; set it from --threads.
// Also applies keep_tensor_memory_in_process().
void set_torch_threads(int threads);

// LibTorch's CPU tensors come from malloc. glibc returns freed memory at the top of its heap to
// the kernel once it exceeds 128 KiB (the trim threshold) and serves large blocks by mmap, so a
// product that frees and reallocates the same megabytes of activations every call takes fresh,
// zero-filled pages every call: measured on lenet (batch 128, 1 thread; docs/performance.md) 1,300 page
// faults per kept-graph HVP that doubled its time, and more or less of it depending on what ran
// before in the process. This fixes the thresholds once per process (mallopt: blocks of every
// size from the heap, no mmap; freed heap memory kept up to 2 GiB), so the memory a product frees
// is reused by the next one. Blocks over 32 MiB (the largest mmap threshold glibc accepts) would
// otherwise still be mapped fresh each time: float64 convolutions at 512 samples a chunk use such
// temporaries, and the full-data lenet float64 HVP took 176 s instead of 32 s (docs/performance.md,
// "fulldata"). Idempotent; returns whether the setting is in force (false off glibc). The cost:
// the process keeps up to its peak heap instead of returning it between products.
bool keep_tensor_memory_in_process();
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
