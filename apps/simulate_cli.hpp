// What the `batchrmt simulate ...` subcommands share: the Monte-Carlo options (--trials,
// --resume, --overwrite), the sampler choice (--method, --beta), the entry law (--entries), a
// block variance profile given as two lists, the run of the units into the store, and the
// measured-value keys and lines of a result (apps/simulate_cli.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "apps/command_registry.hpp"
#include "apps/list_options.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/monte_carlo.hpp"

namespace batchrmt::app::simulate_cli {

using nlohmann::json;

struct CommonOptions {
  std::int64_t trials = 100;
  bool resume = false;
  bool overwrite = false;
};
// --trials (at least min_trials), --resume, --overwrite.
void add_common(CLI::App* sub, CommonOptions& o, std::int64_t min_trials);

// --method dense | <exact> (the Dumitriu-Edelman model) and --beta, its Dyson index.
struct SamplerOptions {
  std::string method = "dense";
  double beta = 1.0;
};
void add_sampler(CLI::App* sub, SamplerOptions& o, const std::string& exact, const std::string& method_help);
// The dense samplers are real (beta 1); the exact models are accurate for beta in [0.001, 1e6].
void check_sampler(const SamplerOptions& o);

// --entries gaussian | rademacher | uniform.
CLI::Option* add_entries(CLI::App* sub, std::string& entries);

// A block variance profile as two lists: block sizes and the K x K entry variances (row-major).
struct ProfileLists {
  std::string sizes_flag, variances_flag;
  ListOption<std::int64_t> sizes;
  ListOption<double> variances;
  bool given() const { return sizes.given() || variances.given(); }
};
// `help` prefixes both options' help texts.
void add_profile(CLI::App* sub, ProfileLists& p, const std::string& help, bool required);
simulate::BlockProfile block_profile(const ProfileLists& p);

std::string number(double x);  // 12 significant digits (unit paths)
json nullable(const std::optional<double>& v);

// Opens the store (writer rank, --out given), runs the units, commits; empty on other ranks.
std::vector<simulate::UnitResult> run(const GlobalOptions& global, const CommonOptions& common,
                                      const std::vector<simulate::UnitSpec>& units, const std::string& label);

// trials, seconds, top_mean, top_se, bottom_mean, bottom_se, and out (with --out).
json measured_json(const GlobalOptions& global, const CommonOptions& o, const simulate::UnitResult& r);
// "  top    <mean> +- <se>" (key padded to 7).
void write_measured(std::ostream& os, const simulate::UnitResult& r, const std::string& key);

// batch-hessian (apps/simulate_commands_batch.cpp).
void batch_hessian_cmd(CLI::App* simulate, GlobalOptions& global);

}  // namespace batchrmt::app::simulate_cli
