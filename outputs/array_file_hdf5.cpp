// HDF5 array files, read in an isolated child (outputs/read_guard.hpp) that writes what it finds
// to a pipe: the four headers, then the values of each array that has them (has_values), in
// blocks of whole items. The parent waits at most `seconds` for each block, so a file on which
// libhdf5 loops or crashes ends in one sentence, not a hung or dead process.
#include <H5Cpp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "outputs/array_readers.hpp"
#include "outputs/read_guard.hpp"

namespace batchrmt::outputs::arrays {

namespace {

constexpr std::uint32_t kMaxRank = 32;
constexpr std::uint32_t kMaxDtypeText = 64;
constexpr hsize_t kValuesPerBlock = hsize_t{1} << 20;

// ---------------------------------------------------------------- the child

void write_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw IoError("the array reader's pipe closed.");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

template <typename T>
void put(int fd, T v) {
  write_all(fd, &v, sizeof v);
}

std::string dtype_of(const H5::DataSet& ds) {
  const H5T_class_t c = ds.getTypeClass();
  if (c == H5T_FLOAT) {
    return "float" + std::to_string(ds.getFloatType().getSize() * 8);
  }
  if (c == H5T_INTEGER) {
    const H5::IntType t = ds.getIntType();
    return std::string(t.getSign() == H5T_SGN_NONE ? "uint" : "int") + std::to_string(t.getSize() * 8);
  }
  switch (c) {
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum (h5py's bool)";
    case H5T_ARRAY: return "array";
    default: return "non-numeric";
  }
}

ArrayHeader header_of(const H5::H5File& file, const std::string& name) {
  ArrayHeader h;
  if (H5Lexists(file.getId(), name.c_str(), H5P_DEFAULT) <= 0) return h;
  h.present = true;
  if (file.childObjType(name) != H5O_TYPE_DATASET) {
    h.dtype = "group (not a dataset)";
    return h;
  }
  const H5::DataSet ds = file.openDataSet(name);
  h.dtype = dtype_of(ds);
  const H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::clamp(rank, 0, static_cast<int>(kMaxRank))));
  if (!dims.empty()) space.getSimpleExtentDims(dims.data());
  for (const hsize_t d : dims) h.dims.push_back(d > hsize_t{INT64_MAX} ? -1 : static_cast<std::int64_t>(d));
  if (name == "y" && ds.attrExists("classes")) {
    h.has_classes = true;
    const H5::Attribute a = ds.openAttribute("classes");
    h.classes_is_integer = a.getTypeClass() == H5T_INTEGER && a.getSpace().getSimpleExtentNpoints() == 1;
    if (h.classes_is_integer) a.read(H5::PredType::NATIVE_INT64, &h.classes);
  }
  return h;
}

void send_header(int fd, const ArrayHeader& h) {
  put<std::uint8_t>(fd, h.present);
  put<std::uint32_t>(fd, static_cast<std::uint32_t>(h.dtype.size()));
  write_all(fd, h.dtype.data(), h.dtype.size());
  put<std::uint32_t>(fd, static_cast<std::uint32_t>(h.dims.size()));
  for (const auto d : h.dims) put<std::int64_t>(fd, d);
  put<std::uint8_t>(fd, h.has_classes);
  put<std::uint8_t>(fd, h.classes_is_integer);
  put<std::int64_t>(fd, h.classes);
}

// The values of `name` in blocks of whole items (rows along the first dimension).
void send_values(int fd, const H5::H5File& file, const std::string& name, const ArrayHeader& h) {
  const H5::DataSet ds = file.openDataSet(name);
  const H5::PredType& memory = h.dtype == "float32"   ? H5::PredType::NATIVE_FLOAT
                               : h.dtype == "float64" ? H5::PredType::NATIVE_DOUBLE
                                                      : H5::PredType::NATIVE_INT64;
  std::vector<hsize_t> count(h.dims.begin(), h.dims.end()), start(h.dims.size(), 0);
  const hsize_t rows = count[0];
  const hsize_t per_row = std::max<hsize_t>(capped_numel(h.dims) / rows, 1);
  const hsize_t rows_per_block = std::max<hsize_t>(kValuesPerBlock / per_row, 1);
  std::vector<char> buffer(static_cast<std::size_t>(std::min(rows, rows_per_block) * per_row * value_bytes(h)));
  H5::DataSpace file_space = ds.getSpace();
  for (hsize_t row = 0; row < rows; row += rows_per_block) {
    start[0] = row;
    count[0] = std::min(rows_per_block, rows - row);
    file_space.selectHyperslab(H5S_SELECT_SET, count.data(), start.data());
    const hsize_t n = count[0] * per_row;
    const H5::DataSpace memory_space(1, &n);
    ds.read(buffer.data(), memory, memory_space, file_space);
    write_all(fd, buffer.data(), static_cast<std::size_t>(n) * value_bytes(h));
  }
}

int child_reads(const std::string& path, int fd) {
  if (H5Fis_hdf5(path.c_str()) <= 0) return 3;
  const H5::H5File file(path, H5F_ACC_RDONLY);
  ArrayHeaders headers;
  for (std::size_t r = 0; r < kNames.size(); ++r) {
    headers[r] = header_of(file, kNames[r]);
    send_header(fd, headers[r]);
  }
  for (std::size_t r = 0; r < kNames.size(); ++r)
    if (has_values(headers[r])) send_values(fd, file, kNames[r], headers[r]);
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- the parent

struct Hdf5ArrayReader::Child : ValueSource {
  std::string path;
  int timeout_ms = 30000;
  pid_t pid = -1;
  int fd = -1;
  std::size_t received = 0;
  ArrayHeaders headers;

  ~Child() override {
    if (fd >= 0) ::close(fd);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // The sentence for a child that ended before its answer was complete.
  [[noreturn]] void fail_ended() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
      throw InvalidInput("the array file " + path + " is neither an HDF5 file nor a NumPy .npz archive (or it is truncated).");
    throw InvalidInput("the array file " + path + " is corrupt: libhdf5 failed after " + std::to_string(received) +
                       " bytes of its arrays had been read.");
  }

  void read_bytes(void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      pollfd pfd{fd, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0)
        throw InvalidInput("the array file " + path + " is corrupt: reading it made no progress for " +
                           std::to_string(timeout_ms / 1000) + " s (libhdf5 loops on damaged metadata).");
      const ssize_t r = ready < 0 ? -1 : ::read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw IoError("reading the answer of the array reader of " + path + " failed: " + std::strerror(errno) + ".");
      if (r == 0) fail_ended();
      p += r;
      n -= static_cast<std::size_t>(r);
      received += static_cast<std::size_t>(r);
    }
  }

  template <typename T>
  T get() {
    T v{};
    read_bytes(&v, sizeof v);
    return v;
  }

  ArrayHeader read_header() {
    const auto garbled = [this] {
      return InvalidInput("the array file " + path + " could not be read: its reader's answer was garbled.");
    };
    ArrayHeader h;
    h.present = get<std::uint8_t>() != 0;
    const auto text = get<std::uint32_t>();
    if (text > kMaxDtypeText) throw garbled();
    h.dtype.resize(text);
    read_bytes(h.dtype.data(), text);
    const auto rank = get<std::uint32_t>();
    if (rank > kMaxRank) throw garbled();
    for (std::uint32_t k = 0; k < rank; ++k) h.dims.push_back(get<std::int64_t>());
    h.has_classes = get<std::uint8_t>() != 0;
    h.classes_is_integer = get<std::uint8_t>() != 0;
    h.classes = get<std::int64_t>();
    return h;
  }

  void read(Role role, void* out, std::size_t count) override {
    read_bytes(out, count * value_bytes(headers[role]));
  }
};

Hdf5ArrayReader::Hdf5ArrayReader(const std::string& path, double seconds) : child_(std::make_unique<Child>()) {
  child_->path = path;
  child_->timeout_ms = static_cast<int>(std::min(hdf5_read_seconds(seconds), 86400.0) * 1000);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw IoError("cannot start the reader of the array file " + path + ": pipe failed (" + std::strerror(errno) + ").");
  child_->pid = fork_isolated(
      [&] {
        ::close(fds[0]);
        return child_reads(path, fds[1]);
      },
      0);
  const int fork_error = errno;
  ::close(fds[1]);
  child_->fd = fds[0];
  if (child_->pid < 0)
    throw IoError("cannot start the reader of the array file " + path + ": fork failed (" + std::strerror(fork_error) + ").");
  for (auto& h : child_->headers) h = child_->read_header();
}

Hdf5ArrayReader::~Hdf5ArrayReader() = default;

const ArrayHeaders& Hdf5ArrayReader::headers() const { return child_->headers; }

ValueSource& Hdf5ArrayReader::values() { return *child_; }

}  // namespace batchrmt::outputs::arrays
