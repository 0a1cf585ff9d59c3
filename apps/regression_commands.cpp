// `batchrmt verify regression [--golden FILE] [--update]`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "apps/report_support.hpp"
#include "apps/runtime.hpp"
#include "core/errors.hpp"
#include "verify/regression.hpp"

namespace batchrmt::app {

void register_regression(CLI::App* verify, GlobalOptions& global) {
  auto* sub = verify->add_subcommand("regression",
                                     "Recompute fixed theory grids and seeded simulations and compare them with the golden "
                                     "file; every difference beyond its tolerance is printed and the exit code is 1");
  auto golden = std::make_shared<std::string>(std::string(BATCHRMT_GOLDEN_DIR) + "/regression.h5");
  auto update = std::make_shared<bool>(false);
  sub->add_option("--golden", *golden, "Golden file")->capture_default_str();
  sub->add_flag("--update", *update, "Rewrite the golden file from the current code and print what moved");
  sub->callback([golden, update, &global] {
    apply_runtime_settings(global);
    const auto current = verify::regression_quantities();
    std::vector<verify::RegressionDifference> diffs;
    const bool have_golden = std::filesystem::exists(*golden);
    if (have_golden) diffs = verify::compare_with_golden(current, *golden);
    else if (!*update)
      throw InvalidInput("the golden file " + *golden + " does not exist; create it with 'batchrmt verify regression --update'.");
    std::size_t values = 0;
    for (const auto& q : current) values += q.values.size();
    nlohmann::json j{{"golden", *golden}, {"quantities", current.size()}, {"values", values}, {"differences", nlohmann::json::array()},
                     {"updated", *update}};
    for (const auto& d : diffs)
      j["differences"].push_back({{"name", d.name}, {"index", d.index}, {"golden", d.golden}, {"current", d.current}, {"problem", d.problem}});
    if (*update) verify::write_golden(current, *golden);
    emit(global, j, [&](std::ostream& os) {
      for (const auto& d : diffs) {
        char line[256];
        if (d.problem == "value")
          std::snprintf(line, sizeof line, "%s %s[%zu]: golden %.17g, now %.17g (relative %.3g)\n", *update ? "moved" : "DIFFERS",
                        d.name.c_str(), d.index, d.golden, d.current, std::abs(d.current - d.golden) / std::max(std::abs(d.golden), 1e-300));
        else
          std::snprintf(line, sizeof line, "%s %s: %s\n", *update ? "changed" : "DIFFERS", d.name.c_str(), d.problem.c_str());
        os << line;
      }
      os << "regression: " << current.size() << " quantities (" << values << " values), " << diffs.size()
         << " beyond tolerance" << (*update ? "; golden file rewritten: " + *golden : "") << "\n";
    });
    if (!*update && !diffs.empty())
      throw NumericalFailure(std::to_string(diffs.size()) + " regression value(s) moved beyond their tolerance (listed above).");
  });
}

}  // namespace batchrmt::app
