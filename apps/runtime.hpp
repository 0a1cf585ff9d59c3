// What every subcommand does with the global options: apply --threads to the libraries
// that use threads, build the provenance of the run, print JSON or a table.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>

#include "apps/command_registry.hpp"
#include "core/provenance.hpp"

namespace batchrmt::app {

// Sets LibTorch's intra-op threads (when built with it) from --threads.
void apply_runtime_settings(const GlobalOptions& global);

// core's provenance plus the versions of HDF5, Spectra and LibTorch (when built).
Provenance make_provenance(const GlobalOptions& global);

// With --json: `object` as one line of JSON on stdout. Otherwise `table` writes text.
void emit(const GlobalOptions& global, const nlohmann::json& object,
          const std::function<void(std::ostream&)>& table);

}  // namespace batchrmt::app
