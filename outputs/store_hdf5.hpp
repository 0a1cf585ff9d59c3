// The HDF5 side of outputs/store shared by its two files (store.cpp: the Store and its units;
// store_group.cpp: groups, datasets and attributes): the file handle, error translation and the
// low-level helpers. Private to outputs/.
#pragma once

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
#include "outputs/store.hpp"

namespace batchrmt::outputs {

struct FileHandle {
  H5::H5File file;
  std::string path;        // the path on disk (the .partial while writing)
  bool user_file = false;  // opened by Reader: a failing read means a corrupt input (exit 2)
};

namespace store_detail {

// HDF5 prints its error stack to stderr by default; our errors are one sentence instead.
inline void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5::Exception::dontPrint();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

inline std::string detail_of(const H5::Exception& e) {
  std::string d = e.getDetailMsg();
  return d.empty() ? std::string("HDF5 error") : d;
}

// Runs `f`, turning HDF5 exceptions into IoError naming the file and the object.
template <typename F>
inline auto guarded(const FileHandle& fh, const std::string& object, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const H5::Exception& e) {
    const std::string m = "HDF5 operation on '" + object + "' in " + fh.path + " failed (" + detail_of(e) +
                          "); the file may be truncated, corrupt or not writable.";
    if (fh.user_file) throw InvalidInput(m);
    throw IoError(m);
  }
}

inline std::string join_path(const std::string& base, const std::string& name) {
  if (!name.empty() && name.front() == '/') return name;
  if (base == "/") return "/" + name;
  return base + "/" + name;
}

inline bool link_exists(hid_t loc, const std::string& path) {
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

inline void check_name(const std::string& name) {
  if (name.empty() || name.find("//") != std::string::npos || name.back() == '/' || name == "." || name == "..")
    throw InvalidInput("HDF5 object name '" + name + "' is not allowed; use non-empty names separated by single '/'.");
}

inline H5::StrType utf8_string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

inline H5::DSetCreatPropList creation_properties(const std::vector<hsize_t>& dims) {
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

inline void remove_if_exists(H5::H5File& file, const std::string& path) {
  if (link_exists(file.getId(), path)) file.unlink(path);
}

inline H5::DataSet create_dataset(H5::H5File& file, const std::string& path, const H5::DataType& type,
                           const std::vector<hsize_t>& dims) {
  remove_if_exists(file, path);
  H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR)
                                     : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
  return file.createDataSet(path, type, space, dims.empty() ? H5::DSetCreatPropList() : creation_properties(dims));
}

inline std::vector<hsize_t> dataset_dims(const H5::DataSet& ds) {
  H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  return dims;
}

inline AttributeValue read_attribute(const H5::Attribute& attr) {
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
inline void walk_groups(H5::H5File& file, const std::string& path, Visit&& visit) {
  H5::Group g = file.openGroup(path);
  visit(path, g);
  const hsize_t n = g.getNumObjs();
  std::vector<std::string> names;
  for (hsize_t i = 0; i < n; ++i) names.push_back(g.getObjnameByIdx(i));
  for (const auto& name : names) {
    if (g.childObjType(name) == H5O_TYPE_GROUP) walk_groups(file, join_path(path, name), visit);
  }
}

inline std::map<std::string, std::string> collect_unit_status(H5::H5File& file) {
  std::map<std::string, std::string> out;
  walk_groups(file, "/", [&](const std::string& path, H5::Group& g) {
    if (path != "/" && g.attrExists("status")) {
      auto v = read_attribute(g.openAttribute("status"));
      out[path] = std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "?";
    }
  });
  return out;
}

inline void write_attribute(H5::H5Object& obj, const std::string& name, const AttributeValue& value) {
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

inline void write_provenance(H5::H5File& file, const Provenance& p) {
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

inline std::int64_t checked_schema(H5::H5File& file, const std::string& path) {
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

}  // namespace store_detail

}  // namespace batchrmt::outputs
