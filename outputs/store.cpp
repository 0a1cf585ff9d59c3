#include "outputs/store.hpp"

#include <cstdio>

#include <H5Cpp.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <exception>
#include <tuple>

#include "core/errors.hpp"
#include "outputs/read_guard.hpp"

namespace fs = std::filesystem;

namespace batchrmt::outputs {

struct FileHandle {
  H5::H5File file;
  std::string path;        // the path on disk (the .partial while writing)
  bool user_file = false;  // opened by Reader: a failing read means a corrupt input (exit 2)
};

namespace {

// HDF5 prints its error stack to stderr by default; our errors are one sentence instead.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5::Exception::dontPrint();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string detail_of(const H5::Exception& e) {
  std::string d = e.getDetailMsg();
  return d.empty() ? std::string("HDF5 error") : d;
}

// Runs `f`, turning HDF5 exceptions into IoError naming the file and the object.
template <typename F>
auto guarded(const FileHandle& fh, const std::string& object, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const H5::Exception& e) {
    const std::string m = "HDF5 operation on '" + object + "' in " + fh.path + " failed (" + detail_of(e) +
                          "); the file may be truncated, corrupt or not writable.";
    if (fh.user_file) throw InvalidInput(m);
    throw IoError(m);
  }
}

std::string join_path(const std::string& base, const std::string& name) {
  if (!name.empty() && name.front() == '/') return name;
  if (base == "/") return "/" + name;
  return base + "/" + name;
}

bool link_exists(hid_t loc, const std::string& path) {
  // H5Lexists needs every intermediate link to exist: check level by level.
  std::string prefix;
  std::size_t start = (path.front() == '/') ? 1 : 0;
  if (path == "/") return true;
  if (path.front() == '/') prefix = "";
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    prefix += "/" + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

void check_name(const std::string& name) {
  if (name.empty() || name.find("//") != std::string::npos || name.back() == '/' || name == "." || name == "..")
    throw InvalidInput("HDF5 object name '" + name + "' is not allowed; use non-empty names separated by single '/'.");
}

H5::StrType utf8_string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

H5::DSetCreatPropList creation_properties(const std::vector<hsize_t>& dims) {
  H5::DSetCreatPropList plist;
  std::size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
  if (count >= kChunkThreshold && count > 0) {
    // Chunks of about 64 Ki elements (512 KiB of doubles), whole rows where possible.
    constexpr hsize_t kChunkElements = 65536;
    std::vector<hsize_t> chunk(dims);
    if (dims.size() == 1) {
      chunk[0] = std::min(dims[0], kChunkElements);
    } else {
      const hsize_t cols = std::min(dims[1], kChunkElements);
      chunk[1] = cols;
      chunk[0] = std::max<hsize_t>(1, std::min(dims[0], kChunkElements / cols));
    }
    plist.setChunk(static_cast<int>(chunk.size()), chunk.data());
    plist.setShuffle();
    plist.setDeflate(4);
  }
  return plist;
}

void remove_if_exists(H5::H5File& file, const std::string& path) {
  if (link_exists(file.getId(), path)) file.unlink(path);
}

H5::DataSet create_dataset(H5::H5File& file, const std::string& path, const H5::DataType& type,
                           const std::vector<hsize_t>& dims) {
  remove_if_exists(file, path);
  H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR)
                                     : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
  return file.createDataSet(path, type, space, dims.empty() ? H5::DSetCreatPropList() : creation_properties(dims));
}

std::vector<hsize_t> dataset_dims(const H5::DataSet& ds) {
  H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  return dims;
}

AttributeValue read_attribute(const H5::Attribute& attr) {
  const H5T_class_t cls = attr.getTypeClass();
  if (cls == H5T_INTEGER) {
    std::int64_t v = 0;
    attr.read(H5::PredType::NATIVE_INT64, &v);
    return v;
  }
  if (cls == H5T_FLOAT) {
    double v = 0;
    attr.read(H5::PredType::NATIVE_DOUBLE, &v);
    return v;
  }
  if (cls == H5T_STRING) {
    std::string s;
    attr.read(attr.getStrType(), s);
    return s;
  }
  return std::string("<unsupported attribute type>");
}

template <typename Visit>
void walk_groups(H5::H5File& file, const std::string& path, Visit&& visit) {
  H5::Group g = file.openGroup(path);
  visit(path, g);
  const hsize_t n = g.getNumObjs();
  std::vector<std::string> names;
  for (hsize_t i = 0; i < n; ++i) names.push_back(g.getObjnameByIdx(i));
  for (const auto& name : names) {
    if (g.childObjType(name) == H5O_TYPE_GROUP) walk_groups(file, join_path(path, name), visit);
  }
}

std::map<std::string, std::string> collect_unit_status(H5::H5File& file) {
  std::map<std::string, std::string> out;
  walk_groups(file, "/", [&](const std::string& path, H5::Group& g) {
    if (path != "/" && g.attrExists("status")) {
      auto v = read_attribute(g.openAttribute("status"));
      out[path] = std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "?";
    }
  });
  return out;
}

void write_attribute(H5::H5Object& obj, const std::string& name, const AttributeValue& value) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  H5::DataSpace scalar(H5S_SCALAR);
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    obj.createAttribute(name, H5::PredType::NATIVE_INT64, scalar).write(H5::PredType::NATIVE_INT64, i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    obj.createAttribute(name, H5::PredType::NATIVE_DOUBLE, scalar).write(H5::PredType::NATIVE_DOUBLE, d);
  } else {
    const H5::StrType t = utf8_string_type();
    obj.createAttribute(name, t, scalar).write(t, std::get<std::string>(value));
  }
}

void write_provenance(H5::H5File& file, const Provenance& p) {
  H5::Group root = file.openGroup("/");
  write_attribute(root, "schema_version", kSchemaVersion);
  write_attribute(root, "batchrmt_version", p.batchrmt_version);
  write_attribute(root, "git_sha", p.git_sha);
  write_attribute(root, "build_type", p.build_type);
  write_attribute(root, "compiler", p.compiler);
  write_attribute(root, "hostname", p.hostname);
  write_attribute(root, "created_utc", p.created_utc);
  write_attribute(root, "command_line", p.command_line);
  write_attribute(root, "seed", static_cast<std::int64_t>(p.seed));
  write_attribute(root, "threads", static_cast<std::int64_t>(p.threads));
  for (const auto& [name, version] : p.libraries) write_attribute(root, "library." + name, version);
  write_attribute(root, "library.hdf5", hdf5_version());
  write_attribute(root, "run_status", std::string("partial"));
}

std::int64_t checked_schema(H5::H5File& file, const std::string& path) {
  H5::Group root = file.openGroup("/");
  if (!root.attrExists("schema_version"))
    throw InvalidInput(path + " is an HDF5 file but not a batchrmt result: it has no schema_version attribute.");
  const auto v = read_attribute(root.openAttribute("schema_version"));
  if (!std::holds_alternative<std::int64_t>(v))
    throw InvalidInput(path + " has a schema_version attribute that is not an integer, so it is not a batchrmt result.");
  const std::int64_t version = std::get<std::int64_t>(v);
  if (version > kSchemaVersion || version < 1)
    throw InvalidInput(path + " has schema_version " + std::to_string(version) + ", but this batchrmt reads 1 to " +
                       std::to_string(kSchemaVersion) + ".");
  return version;
}

}  // namespace

std::string hdf5_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// ---------------------------------------------------------------- Group

Group Group::group(const std::string& name) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    // Create missing levels one at a time.
    std::string prefix;
    std::size_t start = 1;
    while (start <= full.size()) {
      const std::size_t slash = full.find('/', start);
      prefix = full.substr(0, slash);
      if (H5Lexists(file_->file.getId(), prefix.c_str(), H5P_DEFAULT) <= 0) file_->file.createGroup(prefix);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return Group(file_, full);
  });
}

bool Group::has(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] { return link_exists(file_->file.getId(), full); });
}

void Group::write(const std::string& name, const Eigen::VectorXd& v) const {
  write(name, std::vector<double>(v.data(), v.data() + v.size()));
}

void Group::write(const std::string& name, const Eigen::MatrixXd& m) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = m;
    auto ds = create_dataset(file_->file, full, H5::PredType::NATIVE_DOUBLE,
                             {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())});
    if (rm.size() > 0) ds.write(rm.data(), H5::PredType::NATIVE_DOUBLE);
  });
}

void Group::write(const std::string& name, const std::vector<double>& v) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    auto ds = create_dataset(file_->file, full, H5::PredType::NATIVE_DOUBLE, {static_cast<hsize_t>(v.size())});
    if (!v.empty()) ds.write(v.data(), H5::PredType::NATIVE_DOUBLE);
  });
}

void Group::write(const std::string& name, const std::vector<std::int64_t>& v) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    auto ds = create_dataset(file_->file, full, H5::PredType::NATIVE_INT64, {static_cast<hsize_t>(v.size())});
    if (!v.empty()) ds.write(v.data(), H5::PredType::NATIVE_INT64);
  });
}

void Group::write(const std::string& name, const std::vector<std::string>& v) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    std::vector<const char*> ptrs;
    ptrs.reserve(v.size());
    for (const auto& s : v) ptrs.push_back(s.c_str());
    const H5::StrType t = utf8_string_type();
    auto ds = create_dataset(file_->file, full, t, {static_cast<hsize_t>(v.size())});
    if (!v.empty()) ds.write(ptrs.data(), t);
  });
}

void Group::write_scalar(const std::string& name, double x) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    create_dataset(file_->file, full, H5::PredType::NATIVE_DOUBLE, {}).write(&x, H5::PredType::NATIVE_DOUBLE);
  });
}

void Group::write_scalar(const std::string& name, std::int64_t x) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    create_dataset(file_->file, full, H5::PredType::NATIVE_INT64, {}).write(&x, H5::PredType::NATIVE_INT64);
  });
}

void Group::write_scalar(const std::string& name, const std::string& s) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  guarded(*file_, full, [&] {
    const H5::StrType t = utf8_string_type();
    create_dataset(file_->file, full, t, {}).write(s, t);
  });
}

void Group::set_attribute(const std::string& name, const AttributeValue& value) const {
  guarded(*file_, path_ + "@" + name, [&] {
    H5::Group g = file_->file.openGroup(path_);
    write_attribute(g, name, value);
  });
}

std::optional<AttributeValue> Group::attribute(const std::string& name) const {
  return guarded(*file_, path_ + "@" + name, [&]() -> std::optional<AttributeValue> {
    H5::Group g = file_->file.openGroup(path_);
    if (!g.attrExists(name)) return std::nullopt;
    return read_attribute(g.openAttribute(name));
  });
}

std::map<std::string, AttributeValue> Group::attributes() const {
  return guarded(*file_, path_, [&] {
    std::map<std::string, AttributeValue> out;
    H5::Group g = file_->file.openGroup(path_);
    const int n = g.getNumAttrs();
    for (int i = 0; i < n; ++i) {
      H5::Attribute a = g.openAttribute(static_cast<unsigned>(i));
      out[a.getName()] = read_attribute(a);
    }
    return out;
  });
}

namespace {
H5::DataSet open_dataset_of_rank(FileHandle& fh, const std::string& full, std::size_t rank, H5T_class_t cls) {
  // A read file that lacks what our schema has is foreign or damaged input (exit 2).
  auto fail = [&](const std::string& m) -> void {
    if (fh.user_file) throw InvalidInput(m);
    throw IoError(m);
  };
  if (!link_exists(fh.file.getId(), full)) fail(fh.path + " has no dataset '" + full + "'.");
  H5::DataSet ds = fh.file.openDataSet(full);
  if (dataset_dims(ds).size() != rank)
    fail(fh.path + ": dataset '" + full + "' has rank " + std::to_string(dataset_dims(ds).size()) + ", but rank " +
         std::to_string(rank) + " was expected.");
  if (ds.getTypeClass() != cls) fail(fh.path + ": dataset '" + full + "' has an unexpected element type.");
  return ds;
}
}  // namespace

Eigen::VectorXd Group::read_vector(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 1, H5T_FLOAT);
    Eigen::VectorXd v(static_cast<Eigen::Index>(dataset_dims(ds)[0]));
    if (v.size() > 0) ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
    return v;
  });
}

Eigen::MatrixXd Group::read_matrix(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 2, H5T_FLOAT);
    const auto dims = dataset_dims(ds);
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm(
        static_cast<Eigen::Index>(dims[0]), static_cast<Eigen::Index>(dims[1]));
    if (rm.size() > 0) ds.read(rm.data(), H5::PredType::NATIVE_DOUBLE);
    return Eigen::MatrixXd(rm);
  });
}

std::vector<std::int64_t> Group::read_int_vector(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 1, H5T_INTEGER);
    std::vector<std::int64_t> v(static_cast<std::size_t>(dataset_dims(ds)[0]));
    if (!v.empty()) ds.read(v.data(), H5::PredType::NATIVE_INT64);
    return v;
  });
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 1, H5T_STRING);
    const std::size_t n = static_cast<std::size_t>(dataset_dims(ds)[0]);
    std::vector<std::string> out;
    if (n == 0) return out;
    const H5::StrType t = utf8_string_type();
    std::vector<char*> ptrs(n, nullptr);
    ds.read(ptrs.data(), t);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5::DataSpace space = ds.getSpace();
    H5Dvlen_reclaim(t.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
    return out;
  });
}

double Group::read_double(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 0, H5T_FLOAT);
    double x = 0;
    ds.read(&x, H5::PredType::NATIVE_DOUBLE);
    return x;
  });
}

std::int64_t Group::read_int(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 0, H5T_INTEGER);
    std::int64_t x = 0;
    ds.read(&x, H5::PredType::NATIVE_INT64);
    return x;
  });
}

std::string Group::read_string(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 0, H5T_STRING);
    std::string s;
    ds.read(s, ds.getStrType());
    return s;
  });
}

std::vector<std::string> Group::children() const {
  return guarded(*file_, path_, [&] {
    H5::Group g = file_->file.openGroup(path_);
    std::vector<std::string> names;
    const hsize_t n = g.getNumObjs();
    for (hsize_t i = 0; i < n; ++i) names.push_back(g.getObjnameByIdx(i));
    std::sort(names.begin(), names.end());
    return names;
  });
}

bool Group::is_group(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    if (!link_exists(file_->file.getId(), full)) return false;
    // childObjType, not H5Oget_info_by_name: that macro changed arity between HDF5 1.10 and 1.12+.
    return file_->file.childObjType(full) == H5O_TYPE_GROUP;
  });
}

DatasetInfo Group::dataset_info(const std::string& name) const {
  const std::string full = join_path(path_, name);
  return guarded(*file_, full, [&] {
    H5::DataSet ds = file_->file.openDataSet(full);
    DatasetInfo info;
    for (hsize_t d : dataset_dims(ds)) info.shape.push_back(static_cast<std::size_t>(d));
    const H5T_class_t cls = ds.getTypeClass();
    const std::size_t bytes = ds.getDataType().getSize();
    switch (cls) {
      case H5T_FLOAT: info.dtype = "float" + std::to_string(8 * bytes); break;
      case H5T_INTEGER: {
        const bool is_signed = ds.getIntType().getSign() != H5T_SGN_NONE;
        info.dtype = std::string(is_signed ? "int" : "uint") + std::to_string(8 * bytes);
        break;
      }
      case H5T_STRING: info.dtype = "string"; break;
      case H5T_COMPOUND: info.dtype = "compound"; break;
      default: info.dtype = "other"; break;
    }
    H5::DSetCreatPropList plist = ds.getCreatePlist();
    info.chunked = plist.getLayout() == H5D_CHUNKED;
    info.compressed = info.chunked && plist.getNfilters() > 0;
    return info;
  });
}

// ---------------------------------------------------------------- Store

Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() { close_uncommitted(); }

namespace {

// The partial this run opened, by device and inode (commit renames only that file).
std::pair<unsigned long long, unsigned long long> file_id(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return {0, 0};
  return {static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)};
}

std::optional<std::string> string_attribute(H5::H5File& file, const std::string& name) {
  H5::Group root = file.openGroup("/");
  if (!root.attrExists(name)) return std::nullopt;
  const auto v = read_attribute(root.openAttribute(name));
  if (!std::holds_alternative<std::string>(v)) return std::nullopt;
  return std::get<std::string>(v);
}

void write_identity(H5::H5File& file, const RunIdentity& identity) {
  H5::Group root = file.openGroup("/");
  write_attribute(root, "run_command", identity.command());
  write_attribute(root, "run_identity", identity.canonical());
  write_attribute(root, "run_fingerprint", identity.fingerprint());
}

// InvalidInput unless `file` (at `path`) holds a run of `identity`.
void check_identity(H5::H5File& file, const std::string& path, const RunIdentity& identity) {
  const std::string hint = identity.restart_hint.empty()
                               ? std::string("pass --overwrite to replace it, or choose another --out")
                               : identity.restart_hint;
  const auto command = string_attribute(file, "run_command");
  const auto stored = string_attribute(file, "run_identity");
  if (!command || !stored)
    throw InvalidInput("--resume refused: " + path + " has no run identity (it was written by an older batchrmt), so it cannot be "
                       "shown to belong to '" + identity.command() + "'; " + hint + ".");
  if (*command != identity.command())
    throw InvalidInput("--resume refused: " + path + " holds a '" + *command + "' run, not '" + identity.command() + "'; " + hint + ".");
  const auto d = identity.first_difference(RunIdentity::from_stored(*command, *stored));
  if (d)
    throw InvalidInput("--resume refused: " + d->name + " is " + d->current + " in this command but " + d->stored + " in " + path +
                       "; " + hint + ".");
}

}  // namespace

namespace {
// True when `path` passes the same checks a resume makes (the isolated structure walk, the HDF5
// signature, an open, the schema); identity is not checked here.
bool partial_is_readable(const std::string& path) {
  try {
    check_readable(path);
    if (H5Fis_hdf5(path.c_str()) <= 0) return false;
    H5::H5File probe(path, H5F_ACC_RDONLY);
    checked_schema(probe, path);
    return true;
  } catch (const H5::Exception&) {
    return false;
  } catch (const InvalidInput&) {
    return false;
  } catch (const IoError&) {
    return false;
  }
}
}  // namespace

Store Store::open(const std::string& final_path, const Provenance& provenance, OpenMode mode, const RunIdentity& identity) {
  silence_hdf5();
  if (final_path.size() < 4 || final_path.substr(final_path.size() - 3) != ".h5")
    throw InvalidInput("output path '" + final_path + "' must end in .h5.");
  Store store;
  store.final_path_ = final_path;
  const std::string partial = store.partial_path();
  std::error_code ec;
  if (fs::exists(final_path, ec) && !fs::is_regular_file(final_path, ec))
    throw InvalidInput("--out " + final_path + " is a directory or another non-file; give a file name ending in .h5.");
  if (fs::exists(partial, ec) && !fs::is_regular_file(partial, ec))
    throw InvalidInput(partial + " is a directory or another non-file, so " + final_path + " cannot be written; remove it or choose another --out.");
  const fs::path parent = fs::path(final_path).parent_path();
  if (!parent.empty() && !fs::exists(parent)) {
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create the output directory " + parent.string() + " (" + ec.message() + ").");
  }
  store.lock_ = OutputLock::acquire(final_path);
  const bool final_exists = fs::exists(final_path);
  const bool partial_exists = fs::exists(partial);
  if (mode == OpenMode::fresh && (final_exists || partial_exists))
    throw InvalidInput("output " + (final_exists ? final_path : partial) +
                       " already exists; pass --resume to continue it, --overwrite to replace it, or another --out.");
  if (mode == OpenMode::overwrite && partial_exists) {
    fs::remove(partial, ec);  // a dead run's (we hold the lock); the finished file stays until commit
    if (ec) throw IoError("cannot remove the old " + partial + " (" + ec.message() + ").");
  }
  bool partial_usable = partial_exists;
  if (mode == OpenMode::resume && partial_exists && !partial_is_readable(partial)) {
    // The partial is this output's own unfinished file (we hold its lock), left unreadable by a
    // run killed while HDF5 was writing its metadata. Its units cannot be read back, so it is
    // kept aside for inspection and the run starts afresh (the computation is seeded: the result
    // is the same). Never done to a finished file, which is the user's.
    const std::string aside = partial + ".corrupt";
    fs::rename(partial, aside, ec);
    if (ec) throw IoError("cannot move the unreadable " + partial + " aside to " + aside + " (" + ec.message() + ").");
    std::fprintf(stderr, "batchrmt: %s was left unreadable by a killed run; moved to %s, starting this output afresh.\n",
                 partial.c_str(), aside.c_str());
    partial_usable = false;
  }
  const bool resuming = mode == OpenMode::resume && (partial_usable || final_exists);
  if (!identity.empty()) store.fingerprint_ = identity.fingerprint();
  store.file_ = std::make_shared<FileHandle>();
  store.file_->path = partial;
  if (resuming) {
    // Check the file (the partial, else the finished file) before anything is written or copied.
    const std::string source = partial_usable ? partial : final_path;
    check_readable(source);
    if (H5Fis_hdf5(source.c_str()) <= 0)
      throw InvalidInput(source + " is not a readable HDF5 file (truncated or corrupt), so the run cannot resume; "
                         "pass --overwrite to replace it, or choose another --out.");
    try {
      H5::H5File probe(source, H5F_ACC_RDONLY);
      checked_schema(probe, source);
      if (!identity.empty()) check_identity(probe, source, identity);
    } catch (const H5::Exception& e) {
      throw InvalidInput(source + " cannot be read as HDF5 (" + detail_of(e) + "); it is truncated or corrupt, so the run cannot "
                         "resume; pass --overwrite to replace it, or choose another --out.");
    }
    if (!partial_usable) {
      // Never rename the user's finished file: add units to a copy, renamed over it on commit.
      fs::copy_file(final_path, partial, fs::copy_options::overwrite_existing, ec);
      if (ec) throw IoError("cannot copy " + final_path + " to " + partial + " to resume it (" + ec.message() + ").");
      store.created_partial_ = true;
    }
  } else {
    store.created_partial_ = true;
  }
  try {
    if (resuming) {
      store.file_->file = H5::H5File(partial, H5F_ACC_RDWR);
      for (const auto& [unit, status] : collect_unit_status(store.file_->file)) {
        if (status != "complete") {
          remove_if_exists(store.file_->file, unit);
          store.discarded_.push_back(unit);
        }
      }
      H5::Group root = store.file_->file.openGroup("/");
      write_attribute(root, "run_status", std::string("partial"));
      write_attribute(root, "resumed_utc", provenance.created_utc);
      write_attribute(root, "resumed_command_line", provenance.command_line);
    } else {
      store.file_->file = H5::H5File(partial, H5F_ACC_TRUNC);
      write_provenance(store.file_->file, provenance);
      if (!identity.empty()) write_identity(store.file_->file, identity);
    }
    store.file_->file.flush(H5F_SCOPE_GLOBAL);
  } catch (const H5::Exception& e) {
    throw IoError("cannot open " + partial + " for writing (" + detail_of(e) + ").");
  }
  std::tie(store.partial_dev_, store.partial_ino_) = file_id(partial);
  return store;
}

void Store::close_uncommitted() noexcept {
  if (!file_) return;
  try {
    file_->file.close();
  } catch (...) {
  }
  file_.reset();
  // A run that created the partial, completed nothing and is ending by an exception (a
  // rejected input, a failure in its first unit) leaves nothing behind that would block the
  // corrected run. A run that stops on purpose (train --stop-after) or completed units keeps
  // its partial for --resume.
  if (created_partial_ && units_completed_ == 0 && std::uncaught_exceptions() > 0 && lock_.held() && file_id(partial_path()) == std::make_pair(partial_dev_, partial_ino_)) {
    std::error_code ec;
    fs::remove(partial_path(), ec);
  }
}

Group Store::root() const {
  if (!file_) throw IoError("the result store " + final_path_ + " is closed.");
  return Group(file_, "/");
}

std::vector<std::string> Store::complete_units() const {
  std::vector<std::string> out;
  for (const auto& [unit, status] : guarded(*file_, "/", [&] { return collect_unit_status(file_->file); }))
    if (status == "complete" && is_complete(unit)) out.push_back(unit);
  return out;
}

bool Store::is_complete(const std::string& unit_path) const {
  const std::string full = join_path("/", unit_path);
  return guarded(*file_, full, [&] {
    if (!link_exists(file_->file.getId(), full)) return false;
    H5::Group g = file_->file.openGroup(full);
    if (!g.attrExists("status")) return false;
    const auto v = read_attribute(g.openAttribute("status"));
    if (!(std::holds_alternative<std::string>(v) && std::get<std::string>(v) == "complete")) return false;
    if (fingerprint_.empty()) return true;
    // A unit computed under another identity is never reused.
    if (!g.attrExists("run_fingerprint")) return false;
    const auto f = read_attribute(g.openAttribute("run_fingerprint"));
    return std::holds_alternative<std::string>(f) && std::get<std::string>(f) == fingerprint_;
  });
}

Group Store::begin_unit(const std::string& unit_path) {
  check_name(unit_path);
  const std::string full = join_path("/", unit_path);
  if (is_complete(full))
    throw InvalidInput("unit " + full + " of " + final_path_ + " is already complete; skip it when resuming.");
  guarded(*file_, full, [&] { remove_if_exists(file_->file, full); });
  Group g = root().group(full);
  g.set_attribute("status", std::string("in_progress"));
  g.set_attribute("started_utc", utc_now_iso8601());
  if (!fingerprint_.empty()) g.set_attribute("run_fingerprint", fingerprint_);
  return g;
}

void Store::complete_unit(const Group& unit) {
  unit.set_attribute("completed_utc", utc_now_iso8601());
  unit.set_attribute("status", std::string("complete"));
  flush();
  ++units_completed_;
}

void Store::set_root_attribute(const std::string& name, const AttributeValue& value) {
  root().set_attribute(name, value);
}

void Store::flush() {
  guarded(*file_, "/", [&] { file_->file.flush(H5F_SCOPE_GLOBAL); });
}

void Store::commit() {
  if (!file_) throw IoError("the result store " + final_path_ + " was already committed.");
  set_root_attribute("run_status", std::string("complete"));
  set_root_attribute("committed_utc", utc_now_iso8601());
  guarded(*file_, "/", [&] {
    file_->file.flush(H5F_SCOPE_GLOBAL);
    file_->file.close();
  });
  file_.reset();
  // Rename only the partial this run opened and still owns (it holds the lock); a partial
  // replaced behind its back is left where it is.
  if (file_id(partial_path()) != std::make_pair(partial_dev_, partial_ino_))
    throw IoError(partial_path() + " was removed or replaced by another process while this run wrote it, so it was not renamed to " +
                  final_path_ + ".");
  std::error_code ec;
  fs::rename(partial_path(), final_path_, ec);  // atomic: replaces a finished file only now
  if (ec) throw IoError("cannot rename " + partial_path() + " to " + final_path_ + " (" + ec.message() + ").");
  lock_.release();
}

// ---------------------------------------------------------------- Reader

Reader Reader::open(const std::string& path) {
  silence_hdf5();
  // A file the user hands over is bad input when missing, not HDF5 or corrupt (exit 2), and it
  // is walked in a child process first, since libhdf5 can loop forever on some corruptions.
  check_readable(path);
  Reader r;
  r.file_ = std::make_shared<FileHandle>();
  r.file_->path = path;
  r.file_->user_file = true;
  try {
    r.file_->file = H5::H5File(path, H5F_ACC_RDONLY);
    checked_schema(r.file_->file, path);
  } catch (const H5::Exception& e) {
    throw InvalidInput(path + " cannot be read as HDF5 (" + detail_of(e) + "); it is truncated or corrupt.");
  }
  return r;
}

Group Reader::root() const { return Group(file_, "/"); }

std::int64_t Reader::schema_version() const {
  return guarded(*file_, "/", [&] { return checked_schema(file_->file, file_->path); });
}

std::vector<std::string> Reader::complete_units() const {
  std::vector<std::string> out;
  for (const auto& [unit, status] : unit_status())
    if (status == "complete") out.push_back(unit);
  return out;
}

std::map<std::string, std::string> Reader::unit_status() const {
  return guarded(*file_, "/", [&] { return collect_unit_status(file_->file); });
}

}  // namespace batchrmt::outputs
