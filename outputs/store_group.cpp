// Groups of a result file: sub-groups, datasets, scalars and attributes, written and read
// through the shared file handle (outputs/store_hdf5.hpp).
#include <H5Cpp.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "core/errors.hpp"
#include "outputs/store.hpp"
#include "outputs/store_hdf5.hpp"

namespace batchrmt::outputs {

using namespace store_detail;

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

const std::string& Group::file_path() const noexcept { return file_->path; }
bool Group::user_input() const noexcept { return file_->user_file; }

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

template <class T>
void Group::write_numbers(const std::string& name, const std::vector<T>& v) const {
  check_name(name);
  const std::string full = join_path(path_, name);
  const H5::PredType& type = std::is_same_v<T, double> ? H5::PredType::NATIVE_DOUBLE : H5::PredType::NATIVE_INT64;
  guarded(*file_, full, [&] {
    auto ds = create_dataset(file_->file, full, type, {static_cast<hsize_t>(v.size())});
    if (!v.empty()) ds.write(v.data(), type);
  });
}

void Group::write(const std::string& name, const std::vector<double>& v) const { write_numbers(name, v); }

void Group::write(const std::string& name, const std::vector<std::int64_t>& v) const { write_numbers(name, v); }

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

template <class T>
T Group::read_number(const std::string& name) const {
  const std::string full = join_path(path_, name);
  constexpr bool real = std::is_same_v<T, double>;
  return guarded(*file_, full, [&] {
    H5::DataSet ds = open_dataset_of_rank(*file_, full, 0, real ? H5T_FLOAT : H5T_INTEGER);
    T x = 0;
    ds.read(&x, real ? H5::PredType::NATIVE_DOUBLE : H5::PredType::NATIVE_INT64);
    return x;
  });
}

double Group::read_double(const std::string& name) const { return read_number<double>(name); }

std::int64_t Group::read_int(const std::string& name) const { return read_number<std::int64_t>(name); }

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

}  // namespace batchrmt::outputs
