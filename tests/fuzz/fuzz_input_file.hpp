// The fuzz targets whose readers take a path (the HDF5 store, the array dataset file): the input
// bytes written to a per-process temporary file.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace batchrmt::fuzz {

// The bytes written to $TMPDIR (else /tmp)/batchrmt_fuzz_<stem>_<pid><extension>; the path, or
// empty when the file cannot be opened.
inline std::string write_input_file(const std::string& stem, const std::string& extension, const std::uint8_t* data,
                                    std::size_t size) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path =
      std::string(dir && *dir ? dir : "/tmp") + "/batchrmt_fuzz_" + stem + "_" + std::to_string(::getpid()) + extension;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "";
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace batchrmt::fuzz
