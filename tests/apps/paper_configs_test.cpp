// The paper-scale configurations (configs/paper/*.toml) as a user without the data
// meets them: each parses, names the claims it is for (run.only), validates its models, and
// reports every network claim as "not measured" with the reason when the dataset is absent,
// instead of failing the run. (Their full runs are GPU work; a miniature of the C5 checkpoint
// protocol on generated CIFAR-100 files is tests/networks/paper_protocol_cli_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "tests/apps/cli_support.hpp"

namespace fs = std::filesystem;
using batchrmt::testing::run_cli;

TEST(PaperConfigs, EveryPaperConfigRunsItsClaimsAndSaysWhyWithoutData) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_paper_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "empty");
  int configs = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(BATCHRMT_SOURCE_DIR) / "configs" / "paper")) {
    if (entry.path().extension() != ".toml") continue;
    ++configs;
    const std::string out = (dir / (entry.path().stem().string() + ".h5")).string();
    // An empty --data-dir: the folder exists, the dataset files do not.
    const auto r = run_cli("--json reproduce --config " + entry.path().string() + " --data-dir " + (dir / "empty").string() +
                           " --no-plots --out " + out);
    ASSERT_EQ(r.exit_code, 0) << entry.path() << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_FALSE(j["claims"].empty()) << entry.path();
    for (const auto& c : j["claims"]) {
      const std::string id = c["id"];
      EXPECT_TRUE(id == "C5" || id == "C6" || id == "C7" || id == "C8") << entry.path() << " runs " << id;
      EXPECT_EQ(c["verdict"], "not measured") << entry.path() << " " << id;
      const std::string note = c["note"];
      EXPECT_TRUE(note.find("could not be read") != std::string::npos || note.find("LibTorch") != std::string::npos)
          << entry.path() << " " << id << ": " << note;
    }
  }
  EXPECT_GE(configs, 4);
  // A --data-dir that does not exist is one sentence, exit 2.
  const auto bad = run_cli("reproduce --config " + (fs::path(BATCHRMT_SOURCE_DIR) / "configs/paper/vgg16-cifar100.toml").string() +
                           " --data-dir /no/such/folder --out " + (dir / "bad.h5").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  const auto device = run_cli("reproduce --only V1 --device tpu --out " + (dir / "dev.h5").string());
  EXPECT_EQ(device.exit_code, 2) << device.err;
  fs::remove_all(dir);
}

TEST(ExtendedConfig, RepeatsTheDefaultJobLineForLineAndAddsOnlyTheProtocol) {
  // configs/extended.toml is the default job plus the paper's protocol (make reproduce-extended):
  // every setting line of the default must be in it, and every line it adds must be a protocol key.
  auto setting_lines = [](const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      const auto hash = line.find('#');
      if (hash != std::string::npos) line = line.substr(0, hash);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  };
  const std::string dir = std::string(BATCHRMT_SOURCE_DIR) + "/configs/";
  // Keys the extended job sets differently: the paper's protocol and the large-damping Adam sweep.
  auto overridden = [](const std::string& line) { return line.rfind("protocol", 0) == 0 || line.rfind("large_damping", 0) == 0; };
  std::vector<std::string> base, ext;
  for (const auto& l : setting_lines(dir + "default.toml"))
    if (!overridden(l)) base.push_back(l);
  for (const auto& l : setting_lines(dir + "extended.toml"))
    if (!overridden(l)) ext.push_back(l);
  ASSERT_EQ(std::count(ext.begin(), ext.end(), std::string("[c7]")), 1);
  ASSERT_FALSE(base.empty());
  std::size_t j = 0;
  for (const auto& line : ext) {
    if (j < base.size() && line == base[j]) {
      ++j;
      continue;
    }
    ADD_FAILURE() << "extended.toml adds a line that is not a protocol or large_damping key: " << line;
  }
  EXPECT_EQ(j, base.size()) << "extended.toml lacks the default job's line: " << (j < base.size() ? base[j] : "");
}
