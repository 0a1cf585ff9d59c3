// The options and the run that the `batchrmt simulate ...` subcommands share (apps/simulate_cli.hpp).
#include <iostream>
#include <sstream>

#include "apps/number_checks.hpp"
#include "apps/output_checks.hpp"
#include "apps/run_identity.hpp"
#include "apps/runtime.hpp"
#include "apps/simulate_cli.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"

namespace batchrmt::app::simulate_cli {

namespace sim = batchrmt::simulate;
namespace outputs = batchrmt::outputs;

void add_common(CLI::App* sub, CommonOptions& o, std::int64_t min_trials) {
  must_be_at_least(sub->add_option("--trials", o.trials, "Independent matrices (Monte-Carlo trials)")->capture_default_str(),
                   static_cast<double>(min_trials));
  sub->add_flag("--resume", o.resume, "Continue an interrupted --out file: keep complete units");
  sub->add_flag("--overwrite", o.overwrite, "Replace an existing --out file");
}

void add_sampler(CLI::App* sub, SamplerOptions& o, const std::string& exact, const std::string& method_help) {
  must_be_one_of(sub->add_option("--method", o.method, method_help)->capture_default_str(), {"dense", exact});
  sub->add_option("--beta", o.beta, "Dyson index (" + exact + " method only)")->capture_default_str();
}

// The Dyson index range where the chi-distributed entries of the Dumitriu-Edelman models stay
// accurate in double precision: chi^2 with beta*k/2 degrees of freedom neither underflows to
// 0 (beta -> 0 gives a singular bidiagonal, negative "eigenvalues" from rounding) nor
// overflows (beta 1e300 gives inf - inf = NaN).
void check_sampler(const SamplerOptions& o) {
  if (o.method == "dense" && o.beta != 1.0)
    throw InvalidInput("--beta is " + number(o.beta) +
                       ", but the dense sampler is real (beta = 1); other Dyson indices need the other --method.");
  if (o.method != "dense" && !(o.beta >= 1e-3 && o.beta <= 1e6))
    throw InvalidInput("--beta is " + number(o.beta) + ", but the " + o.method +
                       " model is accurate only for Dyson indices in [0.001, 1e6].");
}

CLI::Option* add_entries(CLI::App* sub, std::string& entries) {
  return must_be_one_of(sub->add_option("--entries", entries, "gaussian | rademacher | uniform (dense method)")
                            ->capture_default_str(),
                        {"gaussian", "rademacher", "uniform"});
}

void add_profile(CLI::App* sub, ProfileLists& p, const std::string& help, bool required) {
  auto* sizes = add_list(sub, p.sizes_flag, p.sizes, help + "block sizes n1,n2,... (each >= 1)");
  auto* variances = add_list(sub, p.variances_flag, p.variances, help + "entry variances s_ab, row-major K x K, symmetric");
  if (required) {
    sizes->required();
    variances->required();
  }
}

sim::BlockProfile block_profile(const ProfileLists& lists) {
  sim::BlockProfile p;
  for (auto s : lists.sizes.values) {
    if (s < 1)
      throw InvalidInput(lists.sizes_flag + " has the value " + std::to_string(s) + ", but block sizes must be at least 1.");
    p.sizes.push_back(s);
  }
  const auto& v = lists.variances.values;
  const auto K = static_cast<Eigen::Index>(p.sizes.size());
  if (static_cast<Eigen::Index>(v.size()) != K * K)
    throw InvalidInput(lists.variances_flag + " has " + std::to_string(v.size()) + " values, but " + std::to_string(K) +
                       " blocks need " + std::to_string(K * K) + " (a row-major K x K matrix).");
  p.variances = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(v.data(), K, K);
  p.validate(lists.variances_flag.c_str());
  return p;
}

std::string number(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}

json nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::vector<sim::UnitResult> run(const GlobalOptions& global, const CommonOptions& common,
                                 const std::vector<sim::UnitSpec>& units, const std::string& label) {
  batchrmt::app::apply_runtime_settings(global);
  if (common.resume && common.overwrite)
    throw InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  if (!global.out.empty()) batchrmt::app::check_out_path(global.out);
  const auto& mpi = batchrmt::MpiContext::instance();
  std::optional<outputs::Store> store;
  if (!global.out.empty() && mpi.is_writer()) {
    const auto mode = common.overwrite ? outputs::OpenMode::overwrite
                      : common.resume  ? outputs::OpenMode::resume
                                       : outputs::OpenMode::fresh;
    auto prov = batchrmt::app::make_provenance(global);
    prov.libraries["mpi_ranks"] = std::to_string(mpi.size());
    store.emplace(outputs::Store::open(global.out, prov, mode, batchrmt::app::run_identity(global)));
    for (const auto& u : store->discarded_units())
      std::cerr << "resume: discarded the incomplete unit " << u << std::endl;
  } else if ((common.resume || common.overwrite) && global.out.empty()) {
    throw InvalidInput("--resume/--overwrite need --out FILE.h5, but no --out was given.");
  }
  sim::RunnerOptions ro;
  ro.seed = global.seed;
  ro.label = label;
  ro.progress = global.json ? batchrmt::Progress::Mode::quiet : batchrmt::Progress::Mode::automatic;
  auto results = sim::run_units(units, store ? &*store : nullptr, ro);
  if (store) store->commit();
  return results;
}

json measured_json(const GlobalOptions& global, const CommonOptions& o, const sim::UnitResult& r) {
  json j{{"trials", o.trials}, {"seconds", r.seconds}};
  for (const char* key : {"top", "bottom"}) {
    j[std::string(key) + "_mean"] = r.summary(key).mean;
    j[std::string(key) + "_se"] = r.summary(key).se;
  }
  if (!global.out.empty()) j["out"] = global.out;
  return j;
}

void write_measured(std::ostream& os, const sim::UnitResult& r, const std::string& key) {
  os << "  " << key << std::string(key.size() < 7 ? 7 - key.size() : 1, ' ') << r.summary(key).mean << " +- "
     << r.summary(key).se;
}

}  // namespace batchrmt::app::simulate_cli
