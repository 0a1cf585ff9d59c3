// Internal helpers shared by spectral/*.cpp (not part of the public API).
#pragma once

#include <chrono>

namespace batchrmt::spectral::detail {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace batchrmt::spectral::detail
