#include "networks/torch_runtime.hpp"

#include <torch/torch.h>

#include <climits>
#include <mutex>
#include <regex>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/checks.hpp"

namespace batchrmt::networks {

std::string libtorch_version() {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
#endif
}

bool keep_tensor_memory_in_process() {
  static bool applied = false;
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef __GLIBC__
    // Fixed thresholds (setting them ends glibc's dynamic adjustment): no block is mmapped (the
    // largest mmap threshold glibc accepts on 64-bit is 32 MiB, so larger blocks need
    // M_MMAP_MAX = 0), and freed heap memory is kept up to 2 GiB instead of being returned at
    // 128 KiB. Where the heap cannot grow, glibc still falls back to mmap.
    applied = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 && mallopt(M_MMAP_MAX, 0) == 1 &&
              mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#endif
  });
  return applied;
}

void set_torch_threads(int threads) {
  check_at_least("set_torch_threads", "threads", threads, 1);
  keep_tensor_memory_in_process();
  torch::set_num_threads(threads);
}

int torch_threads() { return torch::get_num_threads(); }

bool cuda_available() { return torch::cuda::is_available(); }

std::string checked_device(const std::string& device) {
  static const std::regex pattern("^(cpu|cuda(:[0-9]+)?)$");
  if (!std::regex_match(device, pattern))
    throw InvalidInput("device is '" + device + "', but must be cpu, cuda or cuda:K.");
  if (device.rfind("cuda", 0) == 0) {
    if (!cuda_available())
      throw InvalidInput("device is '" + device + "', but this LibTorch build or machine has no CUDA device; use cpu.");
    if (device.size() > 5) {
      const int index = std::stoi(device.substr(5));
      const int count = static_cast<int>(torch::cuda::device_count());
      if (index >= count)
        throw InvalidInput("device is '" + device + "', but only " + std::to_string(count) +
                           " CUDA device(s) exist (cuda:0 to cuda:" + std::to_string(count - 1) + ").");
    }
  }
  return device;
}

std::string device_for_local_rank(const std::string& device, int local_rank) {
  if (device != "cuda" || local_rank < 0 || !cuda_available()) return device;
  const int count = static_cast<int>(torch::cuda::device_count());
  return count > 0 ? "cuda:" + std::to_string(local_rank % count) : device;
}

}  // namespace batchrmt::networks
