// Fuzz target: the array dataset reader (--dataset arrays --data PATH) — the bytes are written to
// a temporary file and read with outputs::read_array_file, which parses .npz archives in this
// process and reads HDF5 files in its isolated child (see fuzz_store.cpp for the time limit).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"
#include "outputs/array_file.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = batchrmt::fuzz::write_input_file("arrays", ".bin", data, size);
  if (path.empty()) return 0;
  try {
    (void)batchrmt::outputs::read_array_file(path, 5);
  } catch (const batchrmt::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
