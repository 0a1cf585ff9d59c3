#include "core/provenance.hpp"

#include <unistd.h>

#include <Eigen/Core>
#include <boost/version.hpp>
#include <ctime>

#include "batchrmt_build_info.hpp"

namespace batchrmt {

std::string batchrmt_version() { return BATCHRMT_VERSION_STRING; }
std::string batchrmt_git_sha() { return BATCHRMT_GIT_SHA; }

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string join_command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (i) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+%@") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') out += "'\\''";
        else out += c;
      }
      out += '\'';
    }
  }
  return out;
}

Provenance collect_provenance(const std::vector<std::string>& argv, std::uint64_t seed, int threads) {
  Provenance p;
  p.batchrmt_version = BATCHRMT_VERSION_STRING;
  p.git_sha = BATCHRMT_GIT_SHA;
  p.build_type = BATCHRMT_BUILD_TYPE;
  p.compiler = BATCHRMT_COMPILER;
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) == 0) p.hostname = host;
  p.created_utc = utc_now_iso8601();
  p.command_line = join_command_line(argv);
  p.seed = seed;
  p.threads = threads;
  p.libraries["eigen"] = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                         std::to_string(EIGEN_MINOR_VERSION);
  p.libraries["boost"] = std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                         "." + std::to_string(BOOST_VERSION % 100);
#if defined(__GLIBCXX__)
  p.libraries["libstdc++"] = std::to_string(__GLIBCXX__);
#elif defined(_LIBCPP_VERSION)
  p.libraries["libc++"] = std::to_string(_LIBCPP_VERSION);
#endif
  return p;
}

}  // namespace batchrmt
