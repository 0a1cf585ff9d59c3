// `batchrmt report RUN.h5`: report.md and figures from a stored run.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/report_support.hpp"
#include "apps/runtime.hpp"
#include "core/errors.hpp"
#include "outputs/read_guard.hpp"
#include "outputs/report.hpp"

namespace batchrmt::app {

namespace {

std::string plot_script() {
  if (const char* env = std::getenv("BATCHRMT_PLOT_SCRIPT")) return env;
  return BATCHRMT_PLOT_SCRIPT;  // outputs/plot_report.py in the source tree (compile definition)
}

std::string python() {
  if (const char* env = std::getenv("BATCHRMT_PYTHON")) return env;
  return "/usr/bin/python3";  // Debian's, which sees python3-h5py and python3-matplotlib
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

ReportFiles write_report(const std::string& h5_path, bool plots) {
  namespace fs = std::filesystem;
  // The file is checked (and walked with a time limit) before any folder is made or the
  // plotting script runs: a bad name or a corrupt file leaves nothing behind.
  if (h5_path.size() < 4 || h5_path.compare(h5_path.size() - 3, 3, ".h5") != 0)
    throw InvalidInput("the result file is '" + h5_path + "', but must be a path ending in .h5.");
  outputs::check_readable(h5_path);
  const fs::path run_dir = fs::path(h5_path).replace_extension("");
  ReportFiles files;
  files.markdown = (run_dir / "report.md").string();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (plots) {
    if (!fs::exists(python())) {
      files.plot_message = "skipped: " + python() + " is not installed";
    } else if (!fs::exists(plot_script())) {
      files.plot_message = "skipped: the plotting script " + plot_script() + " is missing";
    } else {
      const std::string log = (run_dir / "plot.log").string();
      const std::string cmd = python() + " " + shell_quote(plot_script()) + " " + shell_quote(h5_path) + " " +
                              shell_quote(run_dir.string()) + " > " + shell_quote(log) + " 2>&1";
      const int rc = std::system(cmd.c_str());
      if (rc != 0) {
        std::ifstream in(log);
        std::string last, line;
        while (std::getline(in, line))
          if (!line.empty()) last = line;
        files.plot_message = "skipped: the plotting script failed (" + last + "); see " + log;
      }
    }
  } else {
    files.plot_message = "skipped: --no-plots";
  }
  for (const auto& entry : fs::directory_iterator(run_dir, ec))
    if (entry.path().extension() == ".png") files.figures.push_back(entry.path().string());
  std::sort(files.figures.begin(), files.figures.end());
  outputs::ReportOptions ro;
  ro.figures = files.figures;
  ro.plot_message = files.plot_message;
  outputs::write_markdown_report(h5_path, files.markdown, ro);
  return files;
}

namespace {

void register_report(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("report", "Write RUN/report.md and RUN/*.png from a result file RUN.h5");
  auto file = std::make_shared<std::string>();
  auto no_plots = std::make_shared<bool>(false);
  sub->add_option("file", *file, "Result file (.h5)")->required();
  sub->add_flag("--no-plots", *no_plots, "Tables only; do not run the plotting script");
  sub->callback([file, no_plots, &global] {
    const ReportFiles r = write_report(*file, !*no_plots);
    nlohmann::json j{{"report", r.markdown}, {"figures", r.figures}};
    if (!r.plot_message.empty()) j["plots"] = r.plot_message;
    emit(global, j, [&](std::ostream& os) {
      os << "Report:  " << r.markdown << "\n";
      for (const auto& f : r.figures) os << "Figure:  " << f << "\n";
      if (!r.plot_message.empty()) os << "Figures " << r.plot_message << "\n";
    });
  });
}

}  // namespace

}  // namespace batchrmt::app

BATCHRMT_REGISTER_COMMAND(report, 80, batchrmt::app::register_report)
