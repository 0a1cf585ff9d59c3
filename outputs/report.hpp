// report.md from a result file alone (no state of the run that wrote it): a table of every
// unit that carries a verdict, the settings behind it, and the provenance of the run.
#pragma once

#include <string>
#include <vector>

namespace batchrmt::outputs {

struct ReportOptions {
  std::vector<std::string> figures;  // PNG files to embed (paths; written relative to the report)
  std::string plot_message;          // shown when figures were skipped
};

// Units with a `verdict` attribute become rows; the attributes read are
//   check_id, check_name, prediction, measurement, stderr, z, verdict, note, scalar.*.
// Writes `markdown_path` (parent directories created) and returns the text.
std::string write_markdown_report(const std::string& h5_path, const std::string& markdown_path,
                                  const ReportOptions& options = {});

}  // namespace batchrmt::outputs
