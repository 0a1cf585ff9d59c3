// Fuzz target: the array dataset reader (--dataset arrays --data PATH) — the bytes are written to
// a temporary file and read with outputs::read_array_file, which parses .npz archives in this
// process and reads HDF5 files in its isolated child (see fuzz_store.cpp for the time limit).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"
#include "outputs/array_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/batchrmt_fuzz_arrays_" + std::to_string(::getpid()) + ".bin";
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    (void)batchrmt::outputs::read_array_file(path, 5);
  } catch (const batchrmt::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
