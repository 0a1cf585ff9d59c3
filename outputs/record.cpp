// Records and tables of records in the HDF5 store (see record.hpp).
#include "outputs/record.hpp"

#include "core/errors.hpp"

namespace batchrmt::outputs {

namespace {

[[noreturn]] void reject(const Group& g, const std::string& sentence) {
  const std::string m = "the group " + g.path() + " of " + g.file_path() + " " + sentence;
  if (g.user_input()) throw InvalidInput(m);
  throw IoError(m);
}

std::string described(const FieldSpec& spec) {
  return std::string(to_string(spec.kind)) + (spec.place == FieldPlace::attribute ? " attribute" : " dataset");
}

// The attribute `spec` as its kind (an int64 attribute reads as a float64 one), or nothing.
std::optional<FieldValue> read_attribute_field(const Group& g, const FieldSpec& spec) {
  const std::optional<AttributeValue> a = g.attribute(spec.name);
  if (!a) return std::nullopt;
  if (spec.kind == FieldKind::real && std::holds_alternative<std::int64_t>(*a))
    return static_cast<double>(std::get<std::int64_t>(*a));
  const bool fits = (spec.kind == FieldKind::real && std::holds_alternative<double>(*a)) ||
                    (spec.kind == FieldKind::integer && std::holds_alternative<std::int64_t>(*a)) ||
                    (spec.kind == FieldKind::text && std::holds_alternative<std::string>(*a));
  if (!fits) reject(g, "holds the attribute '" + spec.name + "' of another type, but the field is a " + described(spec) + ".");
  return std::visit([](const auto& x) { return FieldValue(x); }, *a);
}

// True when the dataset `name` has the element class and rank of `kind`.
bool dataset_fits(const DatasetInfo& info, FieldKind kind) {
  const auto starts = [&](const char* prefix) { return info.dtype.rfind(prefix, 0) == 0; };
  switch (kind) {
    case FieldKind::real: return starts("float") && info.shape.empty();
    case FieldKind::integer: return starts("int") && info.shape.empty();
    case FieldKind::text: return info.dtype == "string" && info.shape.empty();
    case FieldKind::reals: return starts("float") && info.shape.size() == 1;
    case FieldKind::integers: return starts("int") && info.shape.size() == 1;
    case FieldKind::matrix: return starts("float") && info.shape.size() == 2;
  }
  return false;
}

std::optional<FieldValue> read_dataset_field(const Group& g, const FieldSpec& spec) {
  if (!g.has(spec.name)) return std::nullopt;
  if (g.is_group(spec.name) || !dataset_fits(g.dataset_info(spec.name), spec.kind))
    reject(g, "holds '" + spec.name + "' in another shape or type, but the field is a " + described(spec) + ".");
  switch (spec.kind) {
    case FieldKind::real: return g.read_double(spec.name);
    case FieldKind::integer: return g.read_int(spec.name);
    case FieldKind::text: return g.read_string(spec.name);
    case FieldKind::reals: {
      const Eigen::VectorXd v = g.read_vector(spec.name);
      return std::vector<double>(v.data(), v.data() + v.size());
    }
    case FieldKind::integers: return g.read_int_vector(spec.name);
    case FieldKind::matrix: return g.read_matrix(spec.name);
  }
  return std::nullopt;
}

}  // namespace

void write_values(const Group& g, const RecordValues& values) {
  for (const auto& e : values) {
    if (!e.value) continue;
    const FieldValue& v = *e.value;
    if (e.spec.place == FieldPlace::attribute) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::string>)
              g.set_attribute(e.spec.name, x);
            else
              throw InvalidInput("the record field '" + e.spec.name + "' is a vector or matrix, which cannot be an attribute.");
          },
          v);
    } else {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>)
              g.write_scalar(e.spec.name, x);
            else
              g.write(e.spec.name, x);
          },
          v);
    }
  }
}

RecordValues read_values(const Group& g, RecordValues schema) {
  for (auto& e : schema)
    e.value = e.spec.place == FieldPlace::attribute ? read_attribute_field(g, e.spec) : read_dataset_field(g, e.spec);
  const std::string missing = first_missing_field(schema);
  if (!missing.empty())
    for (const auto& e : schema)
      if (e.spec.name == missing) reject(g, "has no field '" + missing + "' (a " + described(e.spec) + ").");
  return schema;
}

namespace table_detail {

void check_column_kind(const Group& g, const FieldSpec& spec) {
  if (spec.kind != FieldKind::real && spec.kind != FieldKind::integer && spec.kind != FieldKind::text)
    throw InvalidInput("the table " + g.path() + " has the field '" + spec.name + "', a " + to_string(spec.kind) +
                       ", but a table's fields are numbers or strings.");
}

std::size_t table_rows(const Group& g, const FieldSpec& first) {
  if (!g.has(first.name)) reject(g, "has no column '" + first.name + "'.");
  const DatasetInfo info = g.dataset_info(first.name);
  if (info.shape.size() != 1) reject(g, "holds '" + first.name + "' with rank " + std::to_string(info.shape.size()) + ", but a column has rank 1.");
  return info.shape[0];
}

Column read_column(const Group& g, const FieldSpec& spec, std::size_t rows) {
  check_column_kind(g, spec);
  if (!g.has(spec.name)) reject(g, "has no column '" + spec.name + "' (" + to_string(spec.kind) + ").");
  const DatasetInfo info = g.dataset_info(spec.name);
  const FieldKind column_kind = spec.kind == FieldKind::integer ? FieldKind::integers : FieldKind::reals;
  const bool fits = spec.kind == FieldKind::text ? info.dtype == "string" && info.shape.size() == 1 : dataset_fits(info, column_kind);
  if (!fits) reject(g, "holds the column '" + spec.name + "' of another type, but the field is a " + to_string(spec.kind) + ".");
  if (info.shape[0] != rows)
    reject(g, "holds " + std::to_string(info.shape[0]) + " entries in '" + spec.name + "' but " + std::to_string(rows) + " rows.");
  if (spec.kind == FieldKind::text) return g.read_strings(spec.name);
  if (spec.kind == FieldKind::integer) return g.read_int_vector(spec.name);
  const Eigen::VectorXd v = g.read_vector(spec.name);
  return std::vector<double>(v.data(), v.data() + v.size());
}

}  // namespace table_detail

}  // namespace batchrmt::outputs
