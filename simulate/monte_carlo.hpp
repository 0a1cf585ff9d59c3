// Monte-Carlo runner: units (grid points) x trials, each trial with its own recorded
// (seed, stream), results streamed into the HDF5 store one unit at a time (resumable), a
// progress line with ETA, and summaries stored next to the raw per-trial values. Under
// `mpirun -np R` the units are split across ranks and rank 0 writes the one result file;
// the numbers are the same as a serial run's, because every trial's stream depends only on
// (seed, unit path, trial).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/progress.hpp"
#include "core/rng.hpp"
#include "outputs/store.hpp"

namespace batchrmt::simulate {

// Stream of trial t of a unit: (fnv1a32(unit path) << 32) | t. Stable when the grid grows.
std::uint64_t trial_stream(const std::string& unit_path, std::int64_t trial);

// A trial returns one value per key of its unit (e.g. {top, bottom}).
using TrialFunction = std::function<std::vector<double>(std::int64_t trial, RandomStream& rng)>;

struct UnitSpec {
  std::string path;                // HDF5 group of the unit, e.g. "/spiked_wigner/n=1000/theta=2"
  std::vector<std::string> keys;   // names of the per-trial values
  std::int64_t trials = 0;
  std::map<std::string, outputs::AttributeValue> parameters;  // stored as attributes of the unit
  TrialFunction trial;
  // Written into the unit group after the trials (e.g. theory predictions beside them);
  // runs on the writing rank only.
  std::function<void(const outputs::Group&)> annotate;
};

struct Summary {
  double mean = 0, sd = 0, se = 0, q05 = 0, q50 = 0, q95 = 0, min = 0, max = 0;
};
// Mean, sd (divisor n-1), se = sd/sqrt(n), quantiles by linear interpolation between order
// statistics (Hyndman & Fan 1996 type 7, NumPy's default).
Summary summarize_values(const Eigen::Ref<const Eigen::VectorXd>& values);

struct UnitResult {
  std::string path;
  std::vector<std::string> keys;
  Eigen::MatrixXd values;                 // trials x keys
  std::vector<std::uint64_t> streams;     // per trial
  std::vector<Summary> summaries;         // per key
  double seconds = 0.0;                   // wall time of the trials
  bool from_store = false;                // complete in the store already (resume), read back
  const Summary& summary(const std::string& key) const;
};

struct RunnerOptions {
  std::uint64_t seed = 0;
  Progress::Mode progress = Progress::Mode::automatic;
  std::string label = "simulate";
};

// Runs every unit not already complete in `store` (nullptr: no file) and returns all results
// in unit order (complete ones read back from the store). Under MPI, every rank must call
// this with the same units; only rank 0 touches `store` and gets the results (the other
// ranks get an empty vector).
std::vector<UnitResult> run_units(const std::vector<UnitSpec>& units, outputs::Store* store,
                                  const RunnerOptions& options);

// Stores one unit's raw values and summaries (layout in docs/hdf5-schema.md).
void write_unit_result(const outputs::Group& g, const UnitSpec& spec, const UnitResult& r, std::uint64_t seed);
UnitResult read_unit_result(const outputs::Group& g);

}  // namespace batchrmt::simulate
