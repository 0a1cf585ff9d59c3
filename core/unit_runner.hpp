// One resumable unit runner for the load-or-compute-save loops (docs/reliability.md, "Resume"):
// a list of units, each read back when complete, else computed and saved. Store-agnostic (no
// HDF5: the caller's load and save reach its store, e.g. outputs/record.hpp's load_unit and
// save_unit, which set the unit's status last), so every layer can run its units with it.
//
//   auto results = run_units<Row>(n, {load, compute, save});           // this process, in order
//   auto results = run_units<Row>(n, {load, compute, save, encode, decode}, &MpiContext::instance());
//
// Without dealing, this process loads every complete unit, then computes and saves the others in
// order. Dealing over the MPI ranks (a no-op with one rank): rank 0 loads and broadcasts which
// units are pending; they are dealt round-robin, each whole on one rank; rank 0 receives them in
// order and saves each as it arrives, so an interruption loses at most the units in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "core/mpi_context.hpp"

namespace batchrmt {

template <class Result>
struct UnitSteps {
  std::function<std::optional<Result>(std::size_t)> load;  // a complete unit, or nothing (rank 0)
  std::function<Result(std::size_t)> compute;               // the rank that owns the unit
  std::function<void(std::size_t, const Result&)> save;     // rank 0, in unit order
  // Dealing only: a result as bytes, and unit i's back from the rank that computed it.
  std::function<std::vector<std::uint8_t>(const Result&)> encode;
  std::function<Result(std::size_t, const std::vector<std::uint8_t>&, int rank)> decode;
  int tag = 8000;  // MPI tag of unit i: tag + i % 20000
};

// Every unit's result on rank 0 (nothing on the other ranks when dealing).
template <class Result>
std::vector<std::optional<Result>> run_units(std::size_t units, const UnitSteps<Result>& steps,
                                             const MpiContext* deal = nullptr) {
  const bool spread = deal && deal->active();
  const bool root = !spread || deal->is_writer();
  std::vector<std::optional<Result>> results(units);
  std::vector<std::uint8_t> pending(units, 0);
  if (root)
    for (std::size_t i = 0; i < units; ++i) {
      results[i] = steps.load(i);
      pending[i] = results[i] ? 0 : 1;
    }
  if (spread) deal->broadcast(pending);
  auto keep = [&](std::size_t i, Result r) {
    steps.save(i, r);
    results[i] = std::move(r);
  };
  std::size_t dealt = 0;
  for (std::size_t i = 0; i < units; ++i) {
    if (!pending[i]) continue;
    const int owner = spread ? static_cast<int>(dealt++ % static_cast<std::size_t>(deal->size())) : 0;
    const int tag = steps.tag + static_cast<int>(i % 20000);
    if (!spread || owner == deal->rank()) {
      Result r = steps.compute(i);
      if (root)
        keep(i, std::move(r));
      else
        deal->send_bytes(steps.encode(r), 0, tag);
    } else if (root) {
      keep(i, steps.decode(i, deal->receive_bytes(owner, tag), owner));
    }
  }
  return results;
}

}  // namespace batchrmt
