// A user's array dataset (`--dataset arrays --data PATH`, layout in docs/hdf5-schema.md,
// "Array datasets (input)"): an HDF5 file or a NumPy .npz archive holding `x` (N x D or
// N x C x H x W, float32 or float64), `y` (N integer labels) and optionally `x_test` and
// `y_test` (both or neither), read into plain arrays. networks/ never sees this header; the
// CLI and the C5 config tables (verify/array_dataset.hpp) hand the arrays over.
//
// HDF5 files are read in a forked child (outputs/read_guard.hpp) that streams the arrays to
// this process, so a hostile file that makes libhdf5 crash or loop is refused, not fatal.
// .npz archives (stored or deflated entries of .npy format 1.0 to 3.0, little-endian, C order)
// are parsed here with every size checked against the bytes behind it.
//
// Every refusal is InvalidInput, one sentence naming the file, the array and the offending
// index or value: a missing file, one that is neither HDF5 nor .npz, a missing `x` or `y`, a
// wrong rank or dtype, N of x and y that differ, no items, x_test's item shape unlike x's,
// a label outside [0, classes), a NaN or infinite input (or a float64 one beyond float32's
// range), and sizes over the caps below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchrmt::outputs {

// Caps checked before anything is allocated.
inline constexpr std::uint64_t kArrayMaxElements = std::uint64_t{1} << 31;  // per array (8 GiB as float32)
inline constexpr std::int64_t kArrayMaxClasses = std::int64_t{1} << 20;

struct ArrayFile {
  std::string path;
  std::string format;                    // "hdf5" | "npz"
  std::string x_dtype;                   // "float32" | "float64": x's type in the file
  std::vector<std::int64_t> item_shape;  // {D} or {C, H, W}
  int classes = 0;  // y's `classes` attribute (HDF5) or 1 + the largest label of y and y_test
  // Items one after another in C order, float64 inputs rounded to the nearest float32.
  std::vector<float> x, x_test;
  std::vector<std::int64_t> y, y_test;

  std::int64_t item_numel() const;
  bool has_test() const { return !y_test.empty(); }
};

// Reads and checks `path`. `seconds` limits how long the HDF5 reader may go without
// progress (0: $BATCHRMT_HDF5_CHECK_SECONDS, default 30).
ArrayFile read_array_file(const std::string& path, double seconds = 0);

}  // namespace batchrmt::outputs
