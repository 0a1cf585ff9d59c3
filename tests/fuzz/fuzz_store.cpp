// Fuzz target: the HDF5 result reader — the bytes are written to a temporary file and read
// with outputs::describe_file, the code behind `batchrmt inspect` (see fuzz_idx.cpp for what
// counts as a finding). libhdf5 itself is not instrumented, so coverage guidance sees only
// our side; a hang that the read guard does not end shows up as a libFuzzer timeout.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"
#include "outputs/inspect.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

// libhdf5 loops forever on some corrupt files; the read guard then kills its child after
// BATCHRMT_HDF5_CHECK_SECONDS (30 s for users). Here 5 s, under libFuzzer's 20 s timeout, so
// such an input is the guard's refusal (as for a user), not a timeout of the campaign.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool limit_set = ::setenv("BATCHRMT_HDF5_CHECK_SECONDS", "5", /*overwrite=*/0) == 0;
  (void)limit_set;
  const std::string path = batchrmt::fuzz::write_input_file("store", ".h5", data, size);
  if (path.empty()) return 0;
  try {
    const auto d = batchrmt::outputs::describe_file(path);
    (void)batchrmt::outputs::render_description(d);
  } catch (const batchrmt::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
