#include "apps/pool_options.hpp"

#include <string>

#include "apps/number_checks.hpp"
#include "core/errors.hpp"

namespace batchrmt::app {

void add_pool_options(CLI::App* sub, PoolOptions& pool, std::int64_t min_N) {
  const char* n_help = min_N == 0 ? "Pool size N (0: infinite pool, kappa = 1/B)" : "Pool size N (training samples)";
  must_be_at_least(sub->add_option("--N", pool.N, n_help)->required(), static_cast<double>(min_N));
  add_list(sub, "--B", pool.B, "Batch sizes, comma separated, 1 <= B <= N")->required();
}

void check_batch_sizes(const PoolOptions& pool) {
  const std::string allowed = pool.N > 0 ? "lie in [1, N = " + std::to_string(pool.N) + "]" : "be at least 1";
  for (auto B : pool.B.values)
    if (B < 1 || (pool.N > 0 && B > pool.N))
      throw InvalidInput("--B contains " + std::to_string(B) + ", but batch sizes must " + allowed + ".");
}

}  // namespace batchrmt::app
