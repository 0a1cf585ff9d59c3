#include "core/system.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>

#include "core/errors.hpp"

namespace batchrmt {

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

std::string format_bytes(double bytes) {
  char buf[64];
  if (bytes >= 1073741824.0) std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / 1073741824.0);
  else if (bytes >= 1048576.0) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
  return buf;
}

bool set_blas_threads(int threads) {
  using setter = void (*)(int);
  if (auto f = reinterpret_cast<setter>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    f(threads);
    return true;
  }
  if (auto f = reinterpret_cast<setter>(::dlsym(RTLD_DEFAULT, "MKL_Set_Num_Threads"))) {
    f(threads);
    return true;
  }
  return false;
}

void check_memory_budget(const std::string& what, double bytes) {
  const double total = static_cast<double>(physical_memory_bytes());
  if (total <= 0) return;
  const double usable = 0.8 * total;
  if (bytes > usable)
    throw InvalidInput(what + " needs " + format_bytes(bytes) + ", but this machine has " + format_bytes(total) +
                       " of memory (at most " + format_bytes(usable) + " usable).");
}

}  // namespace batchrmt
