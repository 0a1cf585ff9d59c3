// A network case of [c5]: a model on a dataset, its weights (initialisation, or SGD with
// resumable checkpoints) and the measured curvature spectrum at each checkpoint: the full-data
// top eigenvalue lambda, the per-sample noise V_phi and the batch spectra per B (docs/curvature.md).
// C5 judges the spectra; C6 and C7 start their learning-rate sweeps from the same checkpoint and
// reuse its lambda, V_phi and batch tops, so a checkpoint is measured once per run.
//
// Config: [c5] cases = [...]; each [c5.<case>] table's keys fall back to [c5]'s (read
// network_claims.hpp for the list). With run.work_dir (reproduce's RUN.work) the checkpoints and
// every spectrum unit are kept there and resumed; in one process a measured case is also kept in
// memory, keyed by everything that determines it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"

namespace batchrmt::verify {

struct NetworkCase {
  std::string name;   // the [c5.<name>] table
  std::string label;  // name, with _e<epoch> when several epochs are measured
  int epoch = 0;
  networks::Model model;        // the measured weights
  networks::DataSplits data;    // the population (train split) and the test split
  networks::SpectrumResult spectrum;
  std::string training;   // how the weights were obtained, in words
  std::string work_file;  // the per-subset spectrum file (empty without run.work_dir)
  double seconds = 0;
};

struct CaseRun {
  std::vector<NetworkCase> checkpoints;  // one per measured epoch
  std::string absent;                    // non-empty: the case's data are absent (the reason)
};

// measure: train and measure, resuming from the work folder (C5; collective under mpirun).
// read_existing: a later reader (C6, C7, perhaps on another MPI rank while a third reads too):
// the last checkpoint and a finished spectrum file of the work folder are read, never written;
// what they lack is computed in memory.
enum class CaseAccess { measure, read_existing };

// Runs case `name` of [c5] (or returns the measurement already made in this process).
CaseRun measure_network_case(const Config& config, const std::string& name, std::uint64_t seed,
                             CaseAccess access = CaseAccess::measure);

}  // namespace batchrmt::verify
#endif
