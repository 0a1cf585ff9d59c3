// The pool size --N and the batch sizes --B that every batch subcommand shares (theory
// batch-hessian, ggn, lr; simulate batch-hessian): the same flags, help and refusals.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "apps/list_options.hpp"

namespace batchrmt::app {

struct PoolOptions {
  std::int64_t N = 0;
  ListOption<std::int64_t> B;
};

// --N (at least min_N; min_N = 0 allows the infinite pool N = 0) and --B, both required.
void add_pool_options(CLI::App* sub, PoolOptions& pool, std::int64_t min_N);

// Every batch size lies in [1, N] (at least 1 for the infinite pool N = 0).
void check_batch_sizes(const PoolOptions& pool);

}  // namespace batchrmt::app
