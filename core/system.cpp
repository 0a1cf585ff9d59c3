#include "core/system.hpp"

#include <cmath>
#include <cstdlib>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>

#ifdef __linux__
#include <sys/mman.h>
#endif

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

namespace {
double g_memory_limit = 0;  // --max-memory; 0: 80 % of the physical memory
double g_largest_estimate = -1;
std::string g_largest_what;

void remember_estimate(const std::string& what, double bytes) {
  if (bytes > g_largest_estimate) {
    g_largest_estimate = bytes;
    g_largest_what = what;
  }
}
}  // namespace

std::string largest_memory_estimate() {
  if (g_largest_estimate < 0) return "";
  return g_largest_what + " (estimated " + format_bytes(g_largest_estimate) + ")";
}

void set_memory_limit(double bytes) { g_memory_limit = bytes; }

double memory_limit_bytes() {
  if (g_memory_limit > 0) return g_memory_limit;
  return 0.8 * static_cast<double>(physical_memory_bytes());
}

void check_memory_budget(const std::string& what, double bytes) {
  remember_estimate(what, bytes);
  if (g_memory_limit > 0) {
    if (!(bytes <= g_memory_limit))
      throw InvalidInput(what + " needs " + format_bytes(bytes) + ", but --max-memory allows " + format_bytes(g_memory_limit) + ".");
    return;
  }
  const double total = static_cast<double>(physical_memory_bytes());
  if (total <= 0) return;
  const double usable = 0.8 * total;
  if (!(bytes <= usable))
    throw InvalidInput(what + " needs " + format_bytes(bytes) + ", but this machine has " + format_bytes(total) +
                       " of memory (at most " + format_bytes(usable) + " usable; --max-memory sets another limit).");
}

double parse_byte_size(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  double scale = 1;
  if (unit == "" || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k") scale = 1024.0;
  else if (unit == "M" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TiB") scale = 1024.0 * 1024 * 1024 * 1024;
  else scale = -1;
  if (end == text.c_str() || scale < 0 || !(x > 0) || !std::isfinite(x))
    throw InvalidInput(option + " is '" + text + "', but must be a positive size such as 512M, 4G or 1.5GiB.");
  return x * scale;
}

std::size_t advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t kHugePage = std::uintptr_t(2) << 20;
  if (data == nullptr) return 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
  const std::uintptr_t last = (begin + bytes) / kHugePage * kHugePage;
  if (last <= first) return 0;
#ifdef __linux__
  if (madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) != 0) return 0;
  return last - first;
#else
  return 0;
#endif
}

}  // namespace batchrmt
