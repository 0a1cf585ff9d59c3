// Checks of an --out path made before any work starts (the store repeats them when it opens):
// it ends in .h5, and neither it nor NAME.h5.partial is a directory or another non-file.
#pragma once

#include <filesystem>
#include <string>

#include "core/errors.hpp"

namespace batchrmt::app {

inline void check_out_path(const std::string& out) {
  namespace fs = std::filesystem;
  if (out.size() < 4 || out.compare(out.size() - 3, 3, ".h5") != 0)
    throw InvalidInput("--out is '" + out + "', but must end in .h5.");
  std::error_code ec;
  for (const std::string& p : {out, out + ".partial"})
    if (fs::exists(p, ec) && !fs::is_regular_file(p, ec))
      throw InvalidInput("--out " + out + " cannot be written: " + p + " is a directory or another non-file; choose another --out.");
}

}  // namespace batchrmt::app
