#include "outputs/read_guard.hpp"

#include <H5Cpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.hpp"

namespace batchrmt::outputs {

namespace {

void read_attributes(const H5::H5Object& obj) {
  const int n = obj.getNumAttrs();
  for (int i = 0; i < n; ++i) {
    H5::Attribute a = obj.openAttribute(static_cast<unsigned>(i));
    const H5::DataType t = a.getDataType();
    const hsize_t bytes = a.getInMemDataSize();
    if (a.getTypeClass() == H5T_STRING) {
      std::string s;
      a.read(a.getStrType(), s);
    } else if (bytes > 0 && bytes < (1u << 26)) {
      std::vector<char> buf(static_cast<std::size_t>(bytes));
      a.read(t, buf.data());
    }
  }
}

void walk(H5::H5File& file, const std::string& path) {
  H5::Group g = file.openGroup(path);
  read_attributes(g);
  const hsize_t n = g.getNumObjs();
  for (hsize_t i = 0; i < n; ++i) {
    const std::string name = g.getObjnameByIdx(i);
    const std::string child = (path == "/" ? "/" : path + "/") + name;
    const H5O_type_t type = g.childObjType(name);
    if (type == H5O_TYPE_GROUP) {
      walk(file, child);
    } else if (type == H5O_TYPE_DATASET) {
      H5::DataSet ds = file.openDataSet(child);
      read_attributes(ds);
      H5::DataSpace space = ds.getSpace();
      (void)ds.getCreatePlist();
      if (ds.getTypeClass() == H5T_STRING && ds.getStrType().isVariableStr()) {
        const hssize_t count = space.getSimpleExtentNpoints();
        std::vector<char*> ptrs(static_cast<std::size_t>(std::max<hssize_t>(count, 0)), nullptr);
        const H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
        if (count > 0) {
          ds.read(ptrs.data(), t, space, space);
          H5Dvlen_reclaim(t.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
        }
      }
    }
  }
}

}  // namespace

double hdf5_read_seconds(double seconds) {
  if (seconds > 0) return seconds;
  if (const char* env = std::getenv("BATCHRMT_HDF5_CHECK_SECONDS")) {
    const double v = std::atof(env);
    if (v > 0) return v;
  }
  return 30.0;
}

namespace {

// The child's crash is the parent's answer ("corrupt"), not a finding of its own: under a
// sanitizer or libFuzzer (the fuzz_store campaigns), handlers inherited from the parent would
// otherwise report the child's crash as the parent's (libFuzzer writes a crash-* file from its
// death callback). The child dies plainly instead, and the parent sees a failed walk.
extern "C" void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

void forget_parents_crash_handlers() {
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
}

}  // namespace

pid_t fork_isolated(const std::function<int()>& work, unsigned alarm_seconds) {
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child != 0) return child;
  // The child never outlives its parent nor the alarm: a parent killed while libhdf5 loops
  // (a libFuzzer timeout, kill -9) would otherwise leave the child spinning for ever.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(5);
  ::signal(SIGALRM, SIG_DFL);
  if (alarm_seconds > 0) ::alarm(alarm_seconds);
  forget_parents_crash_handlers();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  int code = 4;
  try {
    code = work();
  } catch (...) {
  }
  ::_exit(code);
}

void check_readable(const std::string& path, double seconds) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InvalidInput("result file " + path + " does not exist.");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InvalidInput(path + " is a directory or another non-file, but a result file (.h5) is required.");
  const double limit = hdf5_read_seconds(seconds);
  const pid_t child = fork_isolated(
      [&path] {
        if (H5Fis_hdf5(path.c_str()) <= 0) return 3;
        H5::H5File file(path, H5F_ACC_RDONLY);
        walk(file, "/");
        return 0;
      },
      static_cast<unsigned>(limit) + 5);
  if (child < 0) return;  // cannot isolate: the plain read below still reports what it can
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) break;
    if (r < 0) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      throw InvalidInput(path + " is corrupt: reading its attributes did not finish within " + std::to_string(static_cast<int>(limit)) +
                         " s (libhdf5 loops on damaged metadata), so it cannot be read.");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    throw InvalidInput(path + " is not an HDF5 file, or it is truncated or corrupt.");
  throw InvalidInput(path + " is corrupt: its groups, attributes or dataset headers cannot all be read.");
}

}  // namespace batchrmt::outputs
