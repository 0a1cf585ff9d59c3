// `batchrmt reproduce`: the main job. Every check and claim of verify/registry, one unit of
// work each, into RUN.h5 (resumable), then RUN/report.md and its figures.
// `batchrmt verify claim ID`: one of them, printed (and stored with --out).
#include <filesystem>
#include <optional>
#include <iostream>

#include "apps/command_registry.hpp"
#include "apps/report_support.hpp"
#include "apps/runtime.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/progress.hpp"
#include "core/provenance.hpp"
#include "core/run_identity.hpp"
#include "core/unit_runner.hpp"
#include "outputs/store.hpp"
#include "verify/claim_store.hpp"
#include "verify/config_keys.hpp"
#include "verify/registry.hpp"

namespace {

using batchrmt::app::GlobalOptions;
namespace outputs = batchrmt::outputs;
namespace verify = batchrmt::verify;

struct ReproduceOptions {
  bool resume = false;
  bool overwrite = false;
  bool no_plots = false;
  std::string config;
  std::string data_dir;  // run.data_dir: datasets the configuration names (CIFAR-100, ImageNet)
  std::string device;    // run.device: cpu | cuda | cuda:N
  std::vector<std::string> only;
};

// Command-line values every section falls back to (run.data_dir, run.device).
void apply_overrides(batchrmt::Config& config, const std::string& data_dir, const std::string& device) {
  if (!data_dir.empty()) {
    if (!std::filesystem::is_directory(data_dir))
      throw batchrmt::InvalidInput("--data-dir is '" + data_dir + "', but must be an existing folder.");
    config.set("run.data_dir", data_dir);
  }
  if (!device.empty()) {
    if (device != "cpu" && device.rfind("cuda", 0) != 0)
      throw batchrmt::InvalidInput("--device is '" + device + "', but must be cpu, cuda or cuda:N.");
    config.set("run.device", device);
  }
}

// The configuration file, checked against the key registry (verify/config_keys.hpp): an
// unknown table or key, or a value of the wrong type, is bad input before any work starts.
batchrmt::Config load_config(const std::string& path) {
  batchrmt::Config config;  // built-in defaults (the same values as configs/default.toml)
  if (!path.empty()) config = batchrmt::Config::load(path);
  else if (std::filesystem::exists("configs/default.toml")) config = batchrmt::Config::load("configs/default.toml");
  verify::config_keys().check(config);
  return config;
}

// The command line of this run with --resume replaced by --overwrite (the fresh start).
std::string fresh_command(const GlobalOptions& global, const std::string& out) {
  std::string cmd = "batchrmt";
  bool has_out = false;
  for (std::size_t i = 1; i < global.argv.size(); ++i) {
    const std::string& a = global.argv[i];
    has_out = has_out || a == "--out" || a.rfind("--out=", 0) == 0;
    cmd += " " + (a == "--resume" ? std::string("--overwrite") : a);
  }
  if (cmd.find("--overwrite") == std::string::npos) cmd += " --overwrite";
  if (!has_out) cmd += " --out " + out;
  return cmd;
}

void print_claims(std::ostream& os, const std::vector<verify::ClaimResult>& claims) {
  for (const auto& c : claims) {
    char line[512];
    std::snprintf(line, sizeof line, "%-3s %-20s prediction %-12.6g measurement %-12.6g +- %-9.3g z %-7.3g  %s\n", c.id.c_str(),
                  verify::to_string(c.verdict).c_str(), c.prediction, c.measurement, c.stderr_, c.z, c.name.c_str());
    os << line;
  }
}

// Runs the selected experiments not complete in the store (`complete`, known to every rank) and
// reads back the complete ones, counted in `skipped`: every claim on rank 0 in order, nothing on
// the other ranks. Rank 0 writes each unit as it finishes (store: null on the other ranks).
std::vector<std::optional<verify::ClaimResult>> run_experiments(const GlobalOptions& global,
                                                                const std::vector<verify::Experiment>& selected,
                                                                const std::vector<std::uint8_t>& complete, batchrmt::Config& config,
                                                                outputs::Store* opened, std::size_t& skipped) {
  const auto& mpi = batchrmt::MpiContext::instance();
  batchrmt::Progress progress("reproduce", selected.size(),
                              global.json || !mpi.is_writer() ? batchrmt::Progress::Mode::quiet : batchrmt::Progress::Mode::automatic);
  auto save = [&](std::size_t i, const verify::ClaimResult& c) {
    const outputs::Group g = opened->begin_unit(selected[i].unit_path);
    verify::write_claim(g, c);
    opened->complete_unit(g);
    progress.advance();
  };
  // Collective experiments first, every rank together (a rank busy with a dealt unit would
  // otherwise leave the others waiting in the collective while rank 0 waits for its unit).
  std::vector<std::optional<verify::ClaimResult>> collective(selected.size());
  if (mpi.active()) {
    config.set("run.over_ranks", true);
    for (std::size_t i = 0; i < selected.size(); ++i)
      if (!complete[i] && selected[i].collective) {
        collective[i] = selected[i].run(config, global.seed);
        if (mpi.is_writer()) save(i, *collective[i]);
        else progress.advance();
      }
    config.set("run.over_ranks", false);
  }
  // The others through the unit runner (core/unit_runner.hpp): complete ones read back, the rest
  // dealt over the ranks.
  batchrmt::UnitSteps<verify::ClaimResult> steps;
  steps.load = [&](std::size_t i) -> std::optional<verify::ClaimResult> {
    if (collective[i]) return collective[i];
    if (!complete[i]) return std::nullopt;
    ++skipped;
    progress.advance();
    return verify::read_claim(opened->root().group(selected[i].unit_path));
  };
  steps.compute = [&](std::size_t i) { return selected[i].run(config, global.seed); };
  steps.save = save;
  steps.encode = verify::encode_claim;
  steps.decode = [](std::size_t, const std::vector<std::uint8_t>& bytes, int) { return verify::decode_claim(bytes); };
  steps.tag = 9000;
  auto results = batchrmt::run_units(selected.size(), steps, &mpi);
  progress.finish();
  return results;
}

void run_reproduce(const GlobalOptions& global, const ReproduceOptions& opt) {
  batchrmt::app::apply_runtime_settings(global);
  batchrmt::Config config = load_config(opt.config);
  apply_overrides(config, opt.data_dir, opt.device);
  const std::string out = global.out.empty() ? std::string("results/reproduce.h5") : global.out;
  if (out.size() < 4 || out.compare(out.size() - 3, 3, ".h5") != 0)
    throw batchrmt::InvalidInput("--out is '" + out + "', but must end in .h5.");
  // The identity of the job: the configuration it runs and the version that computes it (a
  // resumed file from another version or configuration is refused, naming the fresh start).
  batchrmt::RunIdentity identity("reproduce");
  identity.set("--seed", static_cast<std::uint64_t>(global.seed));
  identity.set("config", config.canonical());
  identity.set("batchrmt_version", batchrmt::batchrmt_version() + " (git " + batchrmt::batchrmt_git_sha() + ")");
  identity.restart_hint = "start afresh with `" + fresh_command(global, out) + "`";
  // Claims that keep intermediate results (C5's per-subset spectra and training checkpoints)
  // keep them in RUN.work/, resumed with RUN.h5 and discarded with it.
  const std::string work_dir = out.substr(0, out.size() - 3) + ".work";
  config.set("run.work_dir", work_dir);
  if (opt.resume && opt.overwrite)
    throw batchrmt::InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  // --only, else the configuration's run.only (a paper-scale file names the claims it is for).
  const std::vector<std::string> only = opt.only.empty() ? config.texts("run.only", {}) : opt.only;
  std::vector<verify::Experiment> selected;
  for (const auto& e : verify::experiments())
    if (only.empty() || std::find(only.begin(), only.end(), e.id) != only.end()) selected.push_back(e);
  for (const auto& id : only) verify::find_experiment(id);  // unknown ids: one sentence, exit 2
  const auto mode = opt.overwrite ? outputs::OpenMode::overwrite
                    : opt.resume  ? outputs::OpenMode::resume
                                  : outputs::OpenMode::fresh;
  // Under mpirun the checks and claims are dealt out over the ranks like the simulation runner's
  // units (each runs whole on one rank); rank 0 owns the file, receives them in order and writes
  // each as it arrives, so an interruption loses at most the units in flight.
  const auto& mpi = batchrmt::MpiContext::instance();
  std::optional<outputs::Store> opened;
  std::vector<std::uint8_t> complete(selected.size(), 0);
  if (mpi.is_writer()) {
    auto provenance = batchrmt::app::make_provenance(global);
    if (mpi.active()) provenance.libraries["mpi_ranks"] = std::to_string(mpi.size());
    opened.emplace(outputs::Store::open(out, provenance, mode, identity));
    if (mode != outputs::OpenMode::resume) std::filesystem::remove_all(work_dir);  // another run's leftovers
    for (const auto& unit : opened->discarded_units())
      std::cerr << "resume: discarded the incomplete unit " << unit << std::endl;
    for (std::size_t i = 0; i < selected.size(); ++i) complete[i] = opened->is_complete(selected[i].unit_path) ? 1 : 0;
  }
  mpi.broadcast(complete);

  std::size_t skipped = 0;
  auto results = run_experiments(global, selected, complete, config, opened ? &*opened : nullptr, skipped);
  if (!mpi.is_writer()) return;  // rank 0 writes the report
  outputs::Store& store = *opened;
  std::vector<verify::ClaimResult> claims;
  for (auto& r : results) claims.push_back(std::move(*r));
  store.set_root_attribute("config", config.resolved().dump());
  store.set_root_attribute("config_source", config.source());
  store.commit();

  const auto report = batchrmt::app::write_report(out, !opt.no_plots);
  nlohmann::json summary{{"results", out}, {"report", report.markdown}, {"figures", report.figures},
                         {"units", selected.size()}, {"units_skipped_complete", skipped}, {"claims", nlohmann::json::array()}};
  if (!report.plot_message.empty()) summary["plots"] = report.plot_message;
  for (const auto& c : claims) summary["claims"].push_back(verify::claim_json(c));
  batchrmt::app::emit(global, summary, [&](std::ostream& os) {
    print_claims(os, claims);
    os << "reproduce: " << selected.size() << " unit(s), " << skipped << " already complete\n";
    if (!report.plot_message.empty()) os << "figures: " << report.plot_message << "\n";
    os << "HDF5 results: " << out << "\n";
    os << "Report:       " << report.markdown << "\n";
  });
}

void run_verify_claim(const GlobalOptions& global, const std::string& id, const std::string& config_path,
                      const std::string& data_dir, const std::string& device) {
  batchrmt::app::apply_runtime_settings(global);
  const auto& e = verify::find_experiment(id);
  batchrmt::Config config = load_config(config_path);
  apply_overrides(config, data_dir, device);
  const verify::ClaimResult c = e.run(config, global.seed);
  if (!global.out.empty()) {
    outputs::Store store = outputs::Store::open(global.out, batchrmt::app::make_provenance(global), outputs::OpenMode::fresh);
    const outputs::Group g = store.begin_unit(e.unit_path);
    verify::write_claim(g, c);
    store.complete_unit(g);
    store.set_root_attribute("config", config.resolved().dump());
    store.commit();
  }
  nlohmann::json j{{"claims", nlohmann::json::array({verify::claim_json(c)})}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    print_claims(os, {c});
    os << "  " << c.note << "\n";
  });
}

void register_reproduce(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<ReproduceOptions>();
  auto* sub = app.add_subcommand("reproduce",
                                 "Run the main job: every check and claim, stored in --out (default results/reproduce.h5) "
                                 "with RUN/report.md and figures beside it");
  sub->add_option("--config", opt->config, "Experiment configuration (TOML; default configs/default.toml when present)");
  sub->add_option("--only", opt->only, "Run only these checks/claims (ids such as C1 V3)");
  sub->add_option("--data-dir", opt->data_dir,
                  "Folder of the datasets the configuration names (CIFAR-100 binary files, an ImageNet folder); "
                  "claims whose data are absent are reported as not measured");
  sub->add_option("--device", opt->device, "Device of the network claims: cpu, cuda or cuda:N (default: each section's, else cpu)");
  sub->add_flag("--resume", opt->resume, "Continue an interrupted run: keep complete units, redo the rest");
  sub->add_flag("--overwrite", opt->overwrite, "Replace an existing result file");
  sub->add_flag("--no-plots", opt->no_plots, "Write the report without running the plotting script");
  sub->callback([opt, &global] { run_reproduce(global, *opt); });
}

void register_verify(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("verify", "Run one claim or check, or the golden-file regression check");
  sub->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto data_dir = std::make_shared<std::string>();
  auto device = std::make_shared<std::string>();
  auto* claim = sub->add_subcommand("claim", "Run one claim or check (C1..C8, V1, V3) and print its verdict");
  claim->add_option("id", *id, "Claim or check id")->required();
  claim->add_option("--config", *config, "Experiment configuration (TOML)");
  claim->add_option("--data-dir", *data_dir, "Folder of the datasets the configuration names");
  claim->add_option("--device", *device, "Device of the network claims: cpu, cuda or cuda:N");
  claim->callback([id, config, data_dir, device, &global] { run_verify_claim(global, *id, *config, *data_dir, *device); });
  batchrmt::app::register_regression(sub, global);
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(reproduce, 70, register_reproduce)
BATCHRMT_REGISTER_COMMAND(verify, 60, register_verify)
