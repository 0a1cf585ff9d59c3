#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "core/progress.hpp"
#include "core/provenance.hpp"

using namespace batchrmt;

TEST(Progress, LineModePrintsAtMostOneLinePerDecileAndAFinalLine) {
  std::ostringstream out;
  {
    Progress p("sweep", 100, Progress::Mode::lines, out);
    for (int i = 0; i < 100; ++i) p.advance();
  }
  const std::string s = out.str();
  const auto lines = std::count(s.begin(), s.end(), '\n');
  EXPECT_LE(lines, 11);
  EXPECT_GE(lines, 2);
  EXPECT_NE(s.find("sweep: 100/100 (100 %)"), std::string::npos);
  EXPECT_NE(s.find("done in"), std::string::npos);
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

TEST(Progress, TerminalModeUpdatesInPlaceAndQuietPrintsNothing) {
  std::ostringstream term, quiet;
  {
    Progress p("units", 3, Progress::Mode::terminal, term);
    p.advance(3);
  }
  EXPECT_NE(term.str().find('\r'), std::string::npos);
  {
    Progress q("units", 3, Progress::Mode::quiet, quiet);
    q.advance(3);
  }
  EXPECT_TRUE(quiet.str().empty());
}

TEST(Progress, DurationsAreReadable) {
  EXPECT_EQ(Progress::format_duration(12.34), "12.3 s");
  EXPECT_EQ(Progress::format_duration(245), "4 min 05 s");
  EXPECT_EQ(Progress::format_duration(3720), "1 h 02 min");
}

TEST(Provenance, CarriesVersionTimeCommandLineAndLibraries) {
  const auto p = collect_provenance({"batchrmt", "simulate", "--n", "it's"}, 17, 2);
  EXPECT_FALSE(p.batchrmt_version.empty());
  EXPECT_FALSE(p.git_sha.empty());
  EXPECT_TRUE(std::regex_match(p.created_utc, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")));
  EXPECT_EQ(p.command_line, "batchrmt simulate --n 'it'\\''s'");
  EXPECT_EQ(p.seed, 17u);
  EXPECT_EQ(p.threads, 2);
  EXPECT_TRUE(p.libraries.count("eigen"));
  EXPECT_TRUE(p.libraries.count("boost"));
}
