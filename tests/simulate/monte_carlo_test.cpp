// The Monte-Carlo runner: summaries, per-trial streams, and resume after a real kill.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "simulate/monte_carlo.hpp"

using namespace batchrmt;
using namespace batchrmt::simulate;
namespace fs = std::filesystem;

namespace {

std::vector<UnitSpec> make_units(int kill_unit = -1, int kill_trial = -1) {
  std::vector<UnitSpec> units;
  for (int u = 0; u < 4; ++u) {
    UnitSpec s;
    s.path = "/sweep/u" + std::to_string(u);
    s.keys = {"x", "y"};
    s.trials = 6;
    s.parameters = {{"index", std::int64_t{u}}};
    s.trial = [u, kill_unit, kill_trial](std::int64_t t, RandomStream& rng) {
      if (u == kill_unit && t == kill_trial) std::_Exit(9);  // dies like a SIGKILL: no cleanup at all
      return std::vector<double>{rng.normal(), static_cast<double>(t) + rng.uniform()};
    };
    units.push_back(s);
  }
  return units;
}

std::string temp_h5(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_mc_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  fs::remove(p);
  fs::remove(p.string() + ".partial");
  return p.string();
}

RunnerOptions quiet(std::uint64_t seed) {
  RunnerOptions o;
  o.seed = seed;
  o.progress = Progress::Mode::quiet;
  return o;
}

}  // namespace

TEST(MonteCarlo, SummariesMatchNumPyConventions) {
  Eigen::VectorXd v(5);
  v << 3, 1, 4, 1, 5;
  const Summary s = summarize_values(v);
  EXPECT_DOUBLE_EQ(s.mean, 2.8);
  EXPECT_NEAR(s.sd, std::sqrt(3.2), 1e-15);  // ddof = 1
  EXPECT_NEAR(s.se, std::sqrt(3.2 / 5), 1e-15);
  EXPECT_DOUBLE_EQ(s.q50, 3.0);
  EXPECT_DOUBLE_EQ(s.q05, 1.0);   // numpy.quantile([1,1,3,4,5], 0.05) = 1.0
  EXPECT_DOUBLE_EQ(s.q95, 4.8);   // numpy.quantile(..., 0.95) = 4.8
}

TEST(MonteCarlo, TrialStreamsDependOnlyOnUnitPathAndTrial) {
  EXPECT_EQ(trial_stream("/a", 3), trial_stream("/a", 3));
  EXPECT_NE(trial_stream("/a", 3), trial_stream("/b", 3));
  EXPECT_EQ(trial_stream("/a", 3) & 0xffffffffu, 3u);
  const auto a = run_units(make_units(), nullptr, quiet(4));
  auto reversed = make_units();
  std::reverse(reversed.begin(), reversed.end());
  const auto b = run_units(reversed, nullptr, quiet(4));
  EXPECT_EQ(a[0].values, b[3].values);  // same unit, same numbers, whatever the grid order
  EXPECT_NE(a[0].values, a[1].values);
}

TEST(MonteCarlo, KilledAndResumedRunEqualsAnUninterruptedOne) {
  const std::string whole = temp_h5("whole.h5"), killed = temp_h5("killed.h5");
  const auto prov = collect_provenance({"test"}, 8, 1);
  {
    auto store = outputs::Store::open(whole, prov, outputs::OpenMode::fresh);
    run_units(make_units(), &store, quiet(8));
    store.commit();
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // child: dies in unit 2, trial 3
    auto store = outputs::Store::open(killed, prov, outputs::OpenMode::fresh);
    run_units(make_units(2, 3), &store, quiet(8));
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 9);
  ASSERT_FALSE(fs::exists(killed));
  ASSERT_TRUE(fs::exists(killed + ".partial"));
  {
    auto store = outputs::Store::open(killed, prov, outputs::OpenMode::resume);
    EXPECT_EQ(store.complete_units(), (std::vector<std::string>{"/sweep/u0", "/sweep/u1"}));
    const auto results = run_units(make_units(), &store, quiet(8));
    EXPECT_TRUE(results[0].from_store);
    EXPECT_FALSE(results[2].from_store);
    store.commit();
  }
  const auto a = outputs::Reader::open(whole), b = outputs::Reader::open(killed);
  for (int u = 0; u < 4; ++u) {
    const auto ga = a.root().group("sweep/u" + std::to_string(u)), gb = b.root().group("sweep/u" + std::to_string(u));
    for (const char* key : {"x", "y"})
      EXPECT_EQ(ga.group("values").read_vector(key), gb.group("values").read_vector(key)) << u << key;
    EXPECT_EQ(ga.read_int_vector("streams"), gb.read_int_vector("streams"));
    EXPECT_EQ(ga.group("summary").read_vector("mean"), gb.group("summary").read_vector("mean"));
  }
  fs::remove_all(fs::path(whole).parent_path());
}
