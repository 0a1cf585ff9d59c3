// Writing RUN/report.md and RUN/*.png from a result file, and the golden-file regression
// subcommand (registered under `verify`).
#pragma once

#include <string>
#include <vector>

#include "apps/command_registry.hpp"

namespace batchrmt::app {

struct ReportFiles {
  std::string markdown;              // RUN/report.md
  std::vector<std::string> figures;  // RUN/*.png actually written
  std::string plot_message;          // why figures are missing, if they are
};

// report.md from the HDF5 alone; figures by outputs/plot_report.py run with Debian's
// /usr/bin/python3 (matplotlib, h5py). Without them the tables are still written and the
// report says the plots were skipped.
ReportFiles write_report(const std::string& h5_path, bool plots);

void register_regression(CLI::App* verify, GlobalOptions& global);

}  // namespace batchrmt::app
