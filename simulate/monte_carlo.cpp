#include "simulate/monte_carlo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "core/byte_buffer.hpp"
#include "core/checks.hpp"
#include "core/mpi_context.hpp"
#include "core/statistics.hpp"
#include "core/unit_runner.hpp"

namespace batchrmt::simulate {

namespace {

// FNV-1a, 32 bits (Fowler, Noll, Vo): a stable hash of the unit path for its stream family.
std::uint32_t fnv1a32(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

UnitResult compute_unit(const UnitSpec& u, std::uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  UnitResult r;
  r.path = u.path;
  r.keys = u.keys;
  r.values.resize(u.trials, static_cast<Eigen::Index>(u.keys.size()));
  for (std::int64_t t = 0; t < u.trials; ++t) {
    const std::uint64_t stream = trial_stream(u.path, t);
    RandomStream rng(seed, stream);
    const std::vector<double> v = u.trial(t, rng);
    if (v.size() != u.keys.size())
      throw NumericalFailure("unit " + u.path + ": a trial returned " + std::to_string(v.size()) + " values for " +
                             std::to_string(u.keys.size()) + " keys.");
    for (std::size_t k = 0; k < v.size(); ++k) r.values(t, static_cast<Eigen::Index>(k)) = v[k];
    r.streams.push_back(stream);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (Eigen::Index k = 0; k < r.values.cols(); ++k) r.summaries.push_back(summarize_values(r.values.col(k)));
  return r;
}

// The per-trial values and wall time of a unit computed on another MPI rank, and back.
std::vector<std::uint8_t> result_bytes(const UnitResult& r) {
  ByteWriter w;
  w.put(r.seconds);
  w.put(r.values);
  return std::move(w.bytes());
}

UnitResult result_from_bytes(const UnitSpec& u, const std::vector<std::uint8_t>& bytes) {
  UnitResult r;
  r.path = u.path;
  r.keys = u.keys;
  ByteReader reader(bytes);
  reader.get(r.seconds);
  reader.get(r.values);
  if (!reader.done() || r.values.cols() != static_cast<Eigen::Index>(u.keys.size()))
    throw IoError("MPI: the result received for unit " + u.path + " has the wrong size.");
  for (Eigen::Index t = 0; t < r.values.rows(); ++t) r.streams.push_back(trial_stream(u.path, t));
  for (Eigen::Index k = 0; k < r.values.cols(); ++k) r.summaries.push_back(summarize_values(r.values.col(k)));
  return r;
}

}  // namespace

std::uint64_t trial_stream(const std::string& unit_path, std::int64_t trial) {
  return (static_cast<std::uint64_t>(fnv1a32(unit_path)) << 32) | static_cast<std::uint32_t>(trial);
}

Summary summarize_values(const Eigen::Ref<const Eigen::VectorXd>& values) {
  Summary s;
  const auto n = values.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (n == 0) return {nan, nan, nan, nan, nan, nan, nan, nan};
  const SampleSummary moments = summarize(values.data(), static_cast<std::size_t>(n));
  s.mean = moments.mean;
  s.sd = moments.sd;
  s.se = moments.stderr_;
  std::vector<double> sorted(values.data(), values.data() + n);
  std::sort(sorted.begin(), sorted.end());
  auto quantile = [&](double p) {
    const double h = (static_cast<double>(n) - 1.0) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
  };
  s.q05 = quantile(0.05);
  s.q50 = quantile(0.5);
  s.q95 = quantile(0.95);
  s.min = sorted.front();
  s.max = sorted.back();
  return s;
}

const Summary& UnitResult::summary(const std::string& key) const {
  for (std::size_t k = 0; k < keys.size(); ++k)
    if (keys[k] == key) return summaries[k];
  throw InvalidInput("unit " + path + " has no value named '" + key + "'.");
}

void write_unit_result(const outputs::Group& g, const UnitSpec& spec, const UnitResult& r, std::uint64_t seed) {
  for (const auto& [name, value] : spec.parameters) g.set_attribute(name, value);
  g.set_attribute("seed", static_cast<std::int64_t>(seed));
  g.set_attribute("trials", static_cast<std::int64_t>(r.values.rows()));
  g.set_attribute("wall_seconds", r.seconds);
  g.write("keys", r.keys);
  g.write("streams", std::vector<std::int64_t>(r.streams.begin(), r.streams.end()));
  const outputs::Group values = g.group("values");
  for (std::size_t k = 0; k < r.keys.size(); ++k)
    values.write(r.keys[k], Eigen::VectorXd(r.values.col(static_cast<Eigen::Index>(k))));
  const outputs::Group summary = g.group("summary");
  auto column = [&](double Summary::*field) {
    std::vector<double> v;
    for (const auto& s : r.summaries) v.push_back(s.*field);
    return v;
  };
  summary.write("mean", column(&Summary::mean));
  summary.write("sd", column(&Summary::sd));
  summary.write("se", column(&Summary::se));
  summary.write("q05", column(&Summary::q05));
  summary.write("q50", column(&Summary::q50));
  summary.write("q95", column(&Summary::q95));
  summary.write("min", column(&Summary::min));
  summary.write("max", column(&Summary::max));
}

UnitResult read_unit_result(const outputs::Group& g) {
  UnitResult r;
  r.path = g.path();
  r.keys = g.read_strings("keys");
  const auto streams = g.read_int_vector("streams");
  r.streams.assign(streams.begin(), streams.end());
  r.values.resize(static_cast<Eigen::Index>(streams.size()), static_cast<Eigen::Index>(r.keys.size()));
  const outputs::Group values = g.group("values");
  for (std::size_t k = 0; k < r.keys.size(); ++k) {
    const Eigen::VectorXd v = values.read_vector(r.keys[k]);
    if (v.size() != r.values.rows()) throw IoError("unit " + r.path + ": values/" + r.keys[k] + " has the wrong length.");
    r.values.col(static_cast<Eigen::Index>(k)) = v;
  }
  for (Eigen::Index k = 0; k < r.values.cols(); ++k) r.summaries.push_back(summarize_values(r.values.col(k)));
  if (const auto s = g.attribute("wall_seconds"); s && std::holds_alternative<double>(*s)) r.seconds = std::get<double>(*s);
  r.from_store = true;
  return r;
}

// NumericalFailure naming the unit, the quantity and the first trial whose value (or whose
// summary: a standard deviation can overflow from finite values) is not finite.
static void check_finite_result(const UnitSpec& u, const UnitResult& r) {
  for (Eigen::Index k = 0; k < r.values.cols(); ++k) {
    const std::string& key = r.keys.at(static_cast<std::size_t>(k));
    for (Eigen::Index t = 0; t < r.values.rows(); ++t)
      if (!std::isfinite(r.values(t, k)))
        throw NumericalFailure("unit " + u.path + ": trial " + std::to_string(t) + " gave " + key + " = " +
                               std::to_string(r.values(t, k)) + ", which is not finite; the parameters lie outside the range "
                               "where the sampler is accurate, so nothing was stored for this unit.");
    const auto& s = r.summaries.at(static_cast<std::size_t>(k));
    if (!std::isfinite(s.mean) || !std::isfinite(s.sd) || !std::isfinite(s.se))
      throw NumericalFailure("unit " + u.path + ": the summary of " + key + " is not finite (mean " + std::to_string(s.mean) +
                             ", sd " + std::to_string(s.sd) + "); the values overflow double precision, so nothing was stored "
                             "for this unit.");
  }
}

std::vector<UnitResult> run_units(const std::vector<UnitSpec>& units, outputs::Store* store,
                                  const RunnerOptions& options) {
  for (const auto& u : units) {
    check_at_least<std::int64_t>("run_units", "trials", u.trials, 1);
    if (!u.trial) throw InvalidInput("run_units: unit " + u.path + " has no trial function.");
  }
  const MpiContext& mpi = MpiContext::instance();
  Progress progress(options.label, units.size(), mpi.is_writer() ? options.progress : Progress::Mode::quiet);
  UnitSteps<UnitResult> steps;
  steps.load = [&](std::size_t i) -> std::optional<UnitResult> {
    if (!store || !store->is_complete(units[i].path)) return std::nullopt;
    progress.advance();
    return read_unit_result(store->root().group(units[i].path));
  };
  steps.compute = [&](std::size_t i) { return compute_unit(units[i], options.seed); };
  steps.save = [&](std::size_t i, const UnitResult& r) {
    const UnitSpec& u = units[i];
    check_finite_result(u, r);  // a NaN/inf is never stored as a finished unit
    if (store) {
      const outputs::Group g = store->begin_unit(u.path);
      write_unit_result(g, u, r, options.seed);
      if (u.annotate) u.annotate(g);
      store->complete_unit(g);
    }
    progress.advance();
  };
  steps.encode = result_bytes;
  steps.decode = [&](std::size_t i, const std::vector<std::uint8_t>& bytes, int) { return result_from_bytes(units[i], bytes); };
  std::vector<UnitResult> results;
  for (auto& r : batchrmt::run_units(units.size(), steps, &mpi))
    if (r) results.push_back(std::move(*r));
  progress.finish();
  return results;
}

}  // namespace batchrmt::simulate
