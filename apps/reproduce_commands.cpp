// `batchrmt reproduce`: the main job. It runs every check and claim that the built layers
// implement, one unit of work each, into RUN.h5 (resumable), then writes RUN/report.md.
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>

#include "apps/command_registry.hpp"
#include "apps/runtime.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "outputs/report.hpp"
#include "outputs/store.hpp"
#include "verify/sampler_checks.hpp"

namespace {

using batchrmt::app::GlobalOptions;
namespace outputs = batchrmt::outputs;
namespace verify = batchrmt::verify;

struct ReproduceOptions {
  bool resume = false;
  bool overwrite = false;
};

void store_trace_check(const outputs::Group& g, const verify::TraceCheck& c) {
  g.set_attribute("check_id", std::string("V1"));
  g.set_attribute("check_name", c.name + " (GOE n=" + std::to_string(c.n) + ", " + std::to_string(c.trials) +
                                    " matrices)");
  g.set_attribute("prediction", c.prediction);
  g.set_attribute("measurement", c.summary.mean);
  g.set_attribute("stderr", std::sqrt(c.variance / static_cast<double>(c.trials)));
  g.set_attribute("z", c.test.z);
  g.set_attribute("tolerance", c.test.tolerance);
  g.set_attribute("verdict", verify::to_string(c.verdict));
  g.set_attribute("note", std::string("simulator self-check: E tr W^2 = sigma^2 (n+1) exactly (THEORY.md 7.2 V1); "
                                      "pass iff |mean - prediction| <= 4 exact standard errors"));
  g.write_scalar("n", c.n);
  g.write_scalar("sigma", c.sigma);
  g.write_scalar("seed", static_cast<std::int64_t>(c.seed));
  std::vector<std::int64_t> streams(c.streams.begin(), c.streams.end());
  g.write("streams", streams);
  g.write("trace_w2", c.trace_w2);
  g.write_scalar("variance_exact", c.variance);
  g.write_scalar("sample_sd", c.summary.sd);
  g.write_scalar("wall_seconds", c.seconds);
}

void run_reproduce(const GlobalOptions& global, const ReproduceOptions& opt) {
  batchrmt::app::apply_runtime_settings(global);
  const std::string out = global.out.empty() ? std::string("results/reproduce.h5") : global.out;
  if (opt.resume && opt.overwrite)
    throw batchrmt::InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  const auto mode = opt.overwrite ? outputs::OpenMode::overwrite
                    : opt.resume  ? outputs::OpenMode::resume
                                  : outputs::OpenMode::fresh;
  outputs::Store store = outputs::Store::open(out, batchrmt::app::make_provenance(global), mode);
  for (const auto& unit : store.discarded_units())
    std::cerr << "resume: discarded the incomplete unit " << unit << std::endl;

  struct Unit {
    std::string path;
    std::function<void(const outputs::Group&)> run;
  };
  const std::vector<Unit> units = {
      {"/checks/goe_trace",
       [&](const outputs::Group& g) { store_trace_check(g, verify::goe_trace_check(400, 1.0, 200, global.seed)); }},
  };
  batchrmt::Progress progress("reproduce", units.size(), global.json ? batchrmt::Progress::Mode::quiet
                                                                      : batchrmt::Progress::Mode::automatic);
  std::size_t skipped = 0;
  for (const auto& u : units) {
    if (store.is_complete(u.path)) {
      ++skipped;
    } else {
      const outputs::Group g = store.begin_unit(u.path);
      u.run(g);
      store.complete_unit(g);
    }
    progress.advance();
  }
  progress.finish();
  store.commit();

  const std::filesystem::path run_dir = std::filesystem::path(out).replace_extension("");
  const std::string report_path = (run_dir / "report.md").string();
  outputs::write_markdown_report(out, report_path);

  nlohmann::json summary{{"results", out}, {"report", report_path}, {"units", units.size()},
                         {"units_skipped_complete", skipped}};
  batchrmt::app::emit(global, summary, [&](std::ostream& os) {
    os << "reproduce: " << units.size() << " unit(s), " << skipped << " already complete\n";
    os << "HDF5 results: " << out << "\n";
    os << "Report:       " << report_path << "\n";
  });
}

void register_reproduce(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<ReproduceOptions>();
  auto* sub = app.add_subcommand("reproduce",
                                 "Run the main job: every implemented check and claim, stored in --out "
                                 "(default results/reproduce.h5) with a report beside it");
  sub->add_flag("--resume", opt->resume, "Continue an interrupted run: keep complete units, redo the rest");
  sub->add_flag("--overwrite", opt->overwrite, "Replace an existing result file");
  sub->callback([opt, &global] { run_reproduce(global, *opt); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(reproduce, 70, register_reproduce)
