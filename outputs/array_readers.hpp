// The two readers of array files (HDF5, .npz) behind one shape, for outputs/array_file.cpp:
// each describes the arrays x, y, x_test, y_test (ArrayHeader), then hands over their values
// (ValueSource), and assemble_arrays checks and joins them into an ArrayFile.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "outputs/array_file.hpp"

namespace batchrmt::outputs::arrays {

enum Role : std::size_t { kX = 0, kY = 1, kXTest = 2, kYTest = 3 };
inline constexpr std::array<const char*, 4> kNames{"x", "y", "x_test", "y_test"};
inline constexpr std::uint64_t kNpzMaxBytes = std::uint64_t{1} << 34;  // a .npz archive, read whole

struct ArrayHeader {
  bool present = false;
  // "float32", "float64", "int8" .. "uint64", or what else it is ("float16", "string", "group",
  // "float32 (big-endian)", ...)
  std::string dtype;
  std::vector<std::int64_t> dims;
  bool has_classes = false;        // a `classes` attribute (y only)
  bool classes_is_integer = true;  // ... that is one integer
  std::int64_t classes = 0;
};
using ArrayHeaders = std::array<ArrayHeader, 4>;

bool is_float_dtype(const std::string& dtype);    // float32 | float64
bool is_integer_dtype(const std::string& dtype);  // int8 .. uint64
// Elements of `dims` (0 when any is 0), or kArrayMaxElements + 1 when over the cap.
std::uint64_t capped_numel(const std::vector<std::int64_t>& dims);
// Whether a reader hands over the values of `h`: a present numeric array with at least one
// dimension and no more elements than the cap. After assemble_arrays' checks, every present one is.
bool has_values(const ArrayHeader& h);
// Bytes of one value as a reader hands it over: float32 as float, float64 as double, integers as int64.
std::size_t value_bytes(const ArrayHeader& h);

// The values of the arrays that have them, in the order x, y, x_test, y_test.
class ValueSource {
 public:
  virtual ~ValueSource() = default;
  // The next `count` values of array `role` into `out` (count * value_bytes bytes).
  virtual void read(Role role, void* out, std::size_t count) = 0;
};

// Checks `headers` and the values (InvalidInput naming `path`, the array and the index).
ArrayFile assemble_arrays(const std::string& path, const ArrayHeaders& headers, ValueSource& values);

// HDF5: headers and values read in an isolated child (outputs/read_guard.hpp), `seconds`
// without progress at most.
class Hdf5ArrayReader {
 public:
  Hdf5ArrayReader(const std::string& path, double seconds);
  ~Hdf5ArrayReader();
  Hdf5ArrayReader(const Hdf5ArrayReader&) = delete;
  Hdf5ArrayReader& operator=(const Hdf5ArrayReader&) = delete;
  const ArrayHeaders& headers() const;
  ValueSource& values();

 private:
  struct Child;
  std::unique_ptr<Child> child_;
};

// .npz: the archive's bytes (whole file), parsed in place.
class NpzArrayReader {
 public:
  NpzArrayReader(const std::string& path, std::vector<std::uint8_t> bytes);
  ~NpzArrayReader();
  const ArrayHeaders& headers() const;
  ValueSource& values();

 private:
  struct Archive;
  std::unique_ptr<Archive> archive_;
};

}  // namespace batchrmt::outputs::arrays
