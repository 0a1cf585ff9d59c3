#include "apps/runtime.hpp"

#include <Spectra/Util/Version.h>

#include <iostream>

#include "core/system.hpp"
#include "outputs/store.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/torch_runtime.hpp"
#endif

namespace batchrmt::app {

void apply_runtime_settings(const GlobalOptions& global) {
  set_blas_threads(global.threads);
#ifdef BATCHRMT_WITH_TORCH
  networks::set_torch_threads(global.threads);
#endif
}

Provenance make_provenance(const GlobalOptions& global) {
  Provenance p = collect_provenance(global.argv, global.seed, global.threads);
  p.libraries["hdf5"] = outputs::hdf5_version();
  p.libraries["spectra"] = std::to_string(SPECTRA_MAJOR_VERSION) + "." + std::to_string(SPECTRA_MINOR_VERSION) + "." +
                           std::to_string(SPECTRA_PATCH_VERSION);
#ifdef BATCHRMT_WITH_TORCH
  p.libraries["libtorch"] = networks::libtorch_version();
#endif
  return p;
}

void emit(const GlobalOptions& global, const nlohmann::json& object,
          const std::function<void(std::ostream&)>& table) {
  if (global.json) {
    std::cout << object.dump() << std::endl;
  } else {
    table(std::cout);
    std::cout.flush();
  }
}

}  // namespace batchrmt::app
