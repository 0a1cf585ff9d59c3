// The HDF5 result store (schema in docs/hdf5-schema.md). Only outputs/ includes H5Cpp.h;
// this header exposes plain C++ and Eigen types so every layer can write results.
//
// A run writes NAME.h5.partial and renames it to NAME.h5 in commit(). Work is split into
// units (one HDF5 group each, e.g. one simulation grid point); a unit's `status` attribute
// is set to "complete" as its last write, followed by a flush, so an interrupted run loses
// at most its unit in flight. Reopening with OpenMode::resume deletes incomplete units and
// lists the complete ones so a sweep can skip them.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/member_names.hpp"
#include "core/provenance.hpp"
#include "core/run_identity.hpp"
#include "outputs/output_lock.hpp"

namespace batchrmt::outputs {

// Version of the layout in docs/hdf5-schema.md; readers refuse files from a newer schema.
inline constexpr std::int64_t kSchemaVersion = 1;

// Arrays with at least this many elements are chunked and deflate-compressed.
inline constexpr std::size_t kChunkThreshold = 4096;

using AttributeValue = std::variant<std::int64_t, double, std::string>;

struct FileHandle;  // HDF5 file, shared by the groups opened from it

// What `inspect` shows of a dataset.
struct DatasetInfo {
  std::vector<std::size_t> shape;  // empty for a scalar
  std::string dtype;               // "float64", "int64", "string", ... (NumPy-like names)
  bool chunked = false;
  bool compressed = false;
};

// A handle on one HDF5 group. Matrices are stored row-major (C order), so h5py and
// NumPy see shape (rows, cols). Writing a name that exists replaces it.
class Group {
 public:
  const std::string& path() const noexcept { return path_; }
  // The file on disk (NAME.h5.partial while a Store writes it), for messages.
  const std::string& file_path() const noexcept;
  // True for a file opened by Reader: what it lacks is bad input (InvalidInput), not a failed run.
  bool user_input() const noexcept;

  // Opens the subgroup `name` (relative path, '/'-separated), creating missing levels.
  Group group(const std::string& name) const;
  bool has(const std::string& name) const;

  void write(const std::string& name, const Eigen::VectorXd& v) const;
  void write(const std::string& name, const Eigen::MatrixXd& m) const;
  void write(const std::string& name, const std::vector<double>& v) const;
  void write(const std::string& name, const std::vector<std::int64_t>& v) const;
  void write(const std::string& name, const std::vector<std::string>& v) const;
  void write_scalar(const std::string& name, double x) const;
  void write_scalar(const std::string& name, std::int64_t x) const;
  void write_scalar(const std::string& name, const std::string& s) const;

  void set_attribute(const std::string& name, const AttributeValue& value) const;
  std::optional<AttributeValue> attribute(const std::string& name) const;
  std::map<std::string, AttributeValue> attributes() const;

  Eigen::VectorXd read_vector(const std::string& name) const;
  Eigen::MatrixXd read_matrix(const std::string& name) const;
  std::vector<std::int64_t> read_int_vector(const std::string& name) const;
  std::vector<std::string> read_strings(const std::string& name) const;
  double read_double(const std::string& name) const;
  std::int64_t read_int(const std::string& name) const;
  std::string read_string(const std::string& name) const;

  // Names of the direct children (groups and datasets), sorted by name.
  std::vector<std::string> children() const;
  bool is_group(const std::string& name) const;
  DatasetInfo dataset_info(const std::string& name) const;

 private:
  friend class Store;
  friend class Reader;
  Group(std::shared_ptr<FileHandle> file, std::string path) : file_(std::move(file)), path_(std::move(path)) {}
  // The float64 or int64 vector overloads of write (defined in store_group.cpp).
  template <class T>
  void write_numbers(const std::string& name, const std::vector<T>& v) const;
  // The float64 or int64 scalar dataset readers (read_double, read_int).
  template <class T>
  T read_number(const std::string& name) const;
  std::shared_ptr<FileHandle> file_;
  std::string path_;
};

// One dataset per field of a table of records: write_column(g, "lr", history, &EpochRecord::lr)
// stores [r.lr for r in rows]. `field` is a data member or a callable on a row; integral values
// (bool included) are stored as int64, floating ones as double, strings as strings.
template <class Row, class Field>
void write_column(const Group& g, const std::string& name, const std::vector<Row>& rows, Field field) {
  using Value = std::decay_t<std::invoke_result_t<Field, const Row&>>;
  using Stored = std::conditional_t<std::is_same_v<Value, std::string>, std::string,
                                    std::conditional_t<std::is_integral_v<Value>, std::int64_t, double>>;
  std::vector<Stored> column;
  column.reserve(rows.size());
  for (const auto& r : rows) column.push_back(static_cast<Stored>(std::invoke(field, r)));
  g.write(name, column);
}

// write_column for each member, under the member's own name:
// write_columns(g, history, BATCHRMT_MEMBERS(EpochRecord, lr, train_loss)) (core/member_names.hpp).
template <class Row, class... M>
void write_columns(const Group& g, const std::vector<Row>& rows, NamedMember<Row, M>... fields) {
  (write_column(g, fields.name, rows, fields.member), ...);
}

enum class OpenMode {
  fresh,      // refuse if NAME.h5 or NAME.h5.partial exists
  overwrite,  // start a new NAME.h5.partial; a finished NAME.h5 is replaced only by commit()
  resume,     // continue NAME.h5.partial (or a copy of a finished NAME.h5, to add units)
};

class Store {
 public:
  // `final_path` must end in ".h5". Writes the provenance at the root (fresh/overwrite),
  // or checks the schema of the file it resumes.
  //
  // Output safety (docs/reliability.md): the store holds an exclusive lock on NAME.h5.lock
  // until commit() or destruction, so a second run on the same --out is refused (exit 2).
  // A finished NAME.h5 is never renamed or removed: resume works on a copy, overwrite on a new
  // partial, and commit() renames the partial over it only if this run still owns the partial.
  // A store destroyed by an exception before any unit completed removes the partial it
  // created (a rejected run leaves nothing behind).
  //
  // Run identity: with a non-empty `identity`, a fresh file stores run_command, run_identity
  // and run_fingerprint at the root and run_fingerprint on every unit; resume refuses
  // (InvalidInput, one sentence naming the first differing option and both values) a file of
  // another command or other options, and never counts a unit of another fingerprint complete.
  static Store open(const std::string& final_path, const Provenance& provenance, OpenMode mode,
                    const RunIdentity& identity = RunIdentity());

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();  // closes without renaming: an uncommitted run stays .partial

  const std::string& final_path() const noexcept { return final_path_; }
  std::string partial_path() const { return final_path_ + ".partial"; }
  Group root() const;

  // Units whose status is "complete", as absolute paths ("/simulate/n=1000"), sorted.
  std::vector<std::string> complete_units() const;
  bool is_complete(const std::string& unit_path) const;
  // Units deleted when this run resumed (their work was in flight when the last run died).
  const std::vector<std::string>& discarded_units() const noexcept { return discarded_; }

  // Starts a unit: removes an incomplete group of that path, creates it, status="in_progress".
  // Throws InvalidInput if the unit is already complete (callers skip those on resume).
  Group begin_unit(const std::string& unit_path);
  // Sets status="complete" as the unit's last write and flushes the file to disk.
  void complete_unit(const Group& unit);

  void set_root_attribute(const std::string& name, const AttributeValue& value);
  void flush();
  // Flushes, closes and renames NAME.h5.partial to NAME.h5. The store is closed afterwards.
  void commit();

 private:
  Store() = default;
  void close_uncommitted() noexcept;
  OutputLock lock_;  // declared first: released last
  std::shared_ptr<FileHandle> file_;
  std::string final_path_;
  std::vector<std::string> discarded_;
  std::string fingerprint_;       // run_fingerprint of this run's identity ("" without one)
  bool created_partial_ = false;  // this run created NAME.h5.partial (not resumed)
  std::size_t units_completed_ = 0;
  unsigned long long partial_dev_ = 0, partial_ino_ = 0;  // the partial this run owns
};

// Read-only access to a committed (or partial) result file with clear errors for a file
// that is missing (IoError), not HDF5 or truncated (IoError), or HDF5 but not ours
// (InvalidInput: no schema_version) or from a newer schema (InvalidInput).
class Reader {
 public:
  static Reader open(const std::string& path);
  Group root() const;
  std::int64_t schema_version() const;
  std::vector<std::string> complete_units() const;
  // All units (groups with a status attribute) with their status.
  std::map<std::string, std::string> unit_status() const;

 private:
  std::shared_ptr<FileHandle> file_;
};

// HDF5 library version, e.g. "1.10.8", for provenance.
std::string hdf5_version();

}  // namespace batchrmt::outputs
