// The checks of an array dataset and the choice of reader (HDF5 or .npz by the file's first bytes).
#include "outputs/array_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/errors.hpp"
#include "outputs/array_readers.hpp"

namespace batchrmt::outputs {

std::int64_t ArrayFile::item_numel() const {
  std::int64_t n = 1;
  for (const auto d : item_shape) n *= d;
  return n;
}

namespace arrays {

namespace {

constexpr std::size_t kBlock = std::size_t{1} << 16;  // values converted at a time

std::string shape_text(const std::vector<std::int64_t>& dims, std::size_t from = 0) {
  std::string s;
  for (std::size_t i = from; i < dims.size(); ++i) s += (i > from ? " x " : "") + std::to_string(dims[i]);
  return s.empty() ? "()" : s;
}

std::string number_text(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

// What is wrong with the header of `role` on its own (empty when nothing is).
std::string header_problem(const std::string& path, Role role, const ArrayHeader& h) {
  const std::string name = std::string(kNames[role]) + " in " + path;
  const bool inputs = role == kX || role == kXTest;
  if (inputs && !is_float_dtype(h.dtype))
    return name + " has dtype " + h.dtype + ", but inputs must be float32 or float64.";
  if (!inputs && !is_integer_dtype(h.dtype))
    return name + " has dtype " + h.dtype + ", but labels must be integers (int8 .. int64, uint8 .. uint64).";
  if (inputs && h.dims.size() != 2 && h.dims.size() != 4)
    return name + " has rank " + std::to_string(h.dims.size()) + " (shape " + shape_text(h.dims) +
           "), but inputs must be N x D (rank 2) or N x C x H x W (rank 4).";
  if (!inputs && h.dims.size() != 1)
    return name + " has rank " + std::to_string(h.dims.size()) + " (shape " + shape_text(h.dims) +
           "), but labels must be a vector of N integers (rank 1).";
  if (capped_numel(h.dims) > kArrayMaxElements)
    return name + " has shape " + shape_text(h.dims) + ", over the cap of " + std::to_string(kArrayMaxElements) +
           " elements per array.";
  if (h.dims[0] == 0) return name + " holds no items (N = 0), but an array dataset needs at least one.";
  if (inputs && capped_numel(std::vector<std::int64_t>(h.dims.begin() + 1, h.dims.end())) == 0)
    return name + " has items of shape " + shape_text(h.dims, 1) + ", which hold no values.";
  return {};
}

void check_headers(const std::string& path, const ArrayHeaders& h) {
  for (const Role r : {kX, kY})
    if (!h[r].present)
      throw InvalidInput(path + " has no array '" + kNames[r] +
                         "', but an array dataset needs x (N x D or N x C x H x W, float32 or float64) and y (N integer "
                         "labels).");
  if (h[kXTest].present != h[kYTest].present)
    throw InvalidInput(path + " has " + (h[kXTest].present ? "x_test but no y_test" : "y_test but no x_test") +
                       ", but the test split needs both arrays or neither.");
  for (const Role r : {kX, kY, kXTest, kYTest}) {
    if (!h[r].present) continue;
    const std::string problem = header_problem(path, r, h[r]);
    if (!problem.empty()) throw InvalidInput(problem);
  }
  for (const auto& [xs, ys] : {std::pair{kX, kY}, std::pair{kXTest, kYTest}}) {
    if (h[xs].present && h[xs].dims[0] != h[ys].dims[0])
      throw InvalidInput(std::string(kNames[xs]) + " in " + path + " holds " + std::to_string(h[xs].dims[0]) +
                         " items but " + kNames[ys] + " holds " + std::to_string(h[ys].dims[0]) +
                         " labels; the two must have the same N.");
  }
  if (h[kXTest].present && !std::equal(h[kX].dims.begin() + 1, h[kX].dims.end(), h[kXTest].dims.begin() + 1,
                                       h[kXTest].dims.end()))
    throw InvalidInput("x_test in " + path + " has items of shape " + shape_text(h[kXTest].dims, 1) + ", but x's are " +
                       shape_text(h[kX].dims, 1) + "; the two must match.");
  const ArrayHeader& y = h[kY];
  if (y.has_classes && !y.classes_is_integer)
    throw InvalidInput("the classes attribute of y in " + path + " is not one integer, but it must be the number of classes.");
  if (y.has_classes && (y.classes < 1 || y.classes > kArrayMaxClasses))
    throw InvalidInput("the classes attribute of y in " + path + " is " + std::to_string(y.classes) +
                       ", but it must lie in 1.." + std::to_string(kArrayMaxClasses) + ".");
}

std::string bad_input(const std::string& path, Role role, std::size_t flat, std::size_t item_numel, double v) {
  const std::string where = std::string(kNames[role]) + " in " + path + " holds " + number_text(v) + " at item " +
                            std::to_string(flat / item_numel) + ", element " + std::to_string(flat % item_numel) +
                            " (flat index " + std::to_string(flat) + ")";
  if (std::isfinite(v))
    return where + ", beyond float32's range (inputs are rounded to float32); inputs must lie within +-" +
           number_text(std::numeric_limits<float>::max()) + ".";
  return where + ", but inputs must be finite.";
}

std::vector<float> read_inputs(const std::string& path, Role role, const ArrayHeader& h, ValueSource& values) {
  const std::size_t n = capped_numel(h.dims);
  const std::size_t item_numel = n / static_cast<std::size_t>(h.dims[0]);
  std::vector<float> out(n);
  std::vector<double> wide(h.dtype == "float64" ? std::min(n, kBlock) : 0);
  for (std::size_t done = 0; done < n;) {
    const std::size_t count = std::min(kBlock, n - done);
    float* dst = out.data() + done;
    if (wide.empty()) {
      values.read(role, dst, count);
      for (std::size_t k = 0; k < count; ++k)
        if (!std::isfinite(dst[k])) throw InvalidInput(bad_input(path, role, done + k, item_numel, dst[k]));
    } else {
      values.read(role, wide.data(), count);
      for (std::size_t k = 0; k < count; ++k) {
        if (!(std::fabs(wide[k]) <= std::numeric_limits<float>::max()))
          throw InvalidInput(bad_input(path, role, done + k, item_numel, wide[k]));
        dst[k] = static_cast<float>(wide[k]);
      }
    }
    done += count;
  }
  return out;
}

// Labels of `role`; `classes` > 0 is y's attribute, else labels are only checked against the cap.
std::vector<std::int64_t> read_labels(const std::string& path, Role role, const ArrayHeader& h, std::int64_t classes,
                                      ValueSource& values) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(h.dims[0]));
  values.read(role, out.data(), out.size());
  const std::int64_t limit = classes > 0 ? classes : kArrayMaxClasses;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] >= 0 && out[i] < limit) continue;
    const std::string allowed =
        classes > 0 ? "0.." + std::to_string(classes - 1) + " (the classes attribute of y is " + std::to_string(classes) + ")"
                    : "0.." + std::to_string(kArrayMaxClasses - 1);
    throw InvalidInput(std::string(kNames[role]) + " in " + path + " holds label " + std::to_string(out[i]) +
                       " at index " + std::to_string(i) + ", but labels must lie in " + allowed + ".");
  }
  return out;
}

}  // namespace

bool is_float_dtype(const std::string& dtype) { return dtype == "float32" || dtype == "float64"; }

bool is_integer_dtype(const std::string& dtype) {
  for (const char* t : {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})
    if (dtype == t) return true;
  return false;
}

std::uint64_t capped_numel(const std::vector<std::int64_t>& dims) {
  std::uint64_t n = 1;
  bool over = false;
  for (const auto d : dims) {
    if (d == 0) return 0;
    if (d < 0 || static_cast<std::uint64_t>(d) > kArrayMaxElements / n) over = true;
    if (!over) n *= static_cast<std::uint64_t>(d);
  }
  return over ? kArrayMaxElements + 1 : n;
}

bool has_values(const ArrayHeader& h) {
  return h.present && (is_float_dtype(h.dtype) || is_integer_dtype(h.dtype)) && !h.dims.empty() &&
         capped_numel(h.dims) <= kArrayMaxElements;
}

std::size_t value_bytes(const ArrayHeader& h) { return h.dtype == "float32" ? 4 : 8; }

ArrayFile assemble_arrays(const std::string& path, const ArrayHeaders& h, ValueSource& values) {
  check_headers(path, h);
  ArrayFile f;
  f.path = path;
  f.x_dtype = h[kX].dtype;
  f.item_shape.assign(h[kX].dims.begin() + 1, h[kX].dims.end());
  const std::int64_t attribute = h[kY].has_classes ? h[kY].classes : 0;
  f.x = read_inputs(path, kX, h[kX], values);
  f.y = read_labels(path, kY, h[kY], attribute, values);
  if (h[kXTest].present) {
    f.x_test = read_inputs(path, kXTest, h[kXTest], values);
    f.y_test = read_labels(path, kYTest, h[kYTest], attribute, values);
  }
  std::int64_t largest = 0;
  for (const auto* labels : {&f.y, &f.y_test})
    for (const auto v : *labels) largest = std::max(largest, v);
  f.classes = static_cast<int>(attribute > 0 ? attribute : largest + 1);
  return f;
}

}  // namespace arrays

namespace {

std::vector<std::uint8_t> whole_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InvalidInput("the array file " + path + " cannot be read: " + ec.message() + ".");
  const std::uint64_t cap = arrays::kNpzMaxBytes;
  if (size > cap)
    throw InvalidInput("the array file " + path + " has " + std::to_string(size) + " bytes, over the cap of " +
                       std::to_string(cap) + " bytes for a .npz archive.");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw IoError("reading the array file " + path + " failed.");
  return bytes;
}

bool starts_like_zip(const std::string& path) {
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

}  // namespace

ArrayFile read_array_file(const std::string& path, double seconds) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InvalidInput("the array file " + path + " does not exist; --data must name an HDF5 (.h5) or NumPy (.npz) file.");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InvalidInput("the array file " + path + " is a directory or another non-file; --data must name an HDF5 (.h5) "
                       "or NumPy (.npz) file.");
  if (starts_like_zip(path)) {
    arrays::NpzArrayReader reader(path, whole_file(path));
    auto f = arrays::assemble_arrays(path, reader.headers(), reader.values());
    f.format = "npz";
    return f;
  }
  arrays::Hdf5ArrayReader reader(path, seconds);
  auto f = arrays::assemble_arrays(path, reader.headers(), reader.values());
  f.format = "hdf5";
  return f;
}

}  // namespace batchrmt::outputs
