// Records with a field table (core/record_fields.hpp) in the HDF5 store: a scalar record as the
// attributes and datasets of one group, a table of records as one dataset per field with one
// entry per row (the layout write_column gives). No HDF5 headers here.
//
//   write_record(unit, run, run_fields());          Run r = read_record(unit, run_fields());
//   write_table(summary, rows, row_fields());       std::vector<Row> back = read_table(summary, row_fields());
//
// Reading is strict: a required field that is missing or misspelt, or stored as another kind, is
// an error naming the field, the group and the file (InvalidInput for a file opened by Reader,
// which is the user's input; IoError for the run's own file), never a NaN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/record_fields.hpp"
#include "outputs/store.hpp"

namespace batchrmt::outputs {

// Writes every field that has a value: attributes as attributes, the others as datasets.
void write_values(const Group& g, const RecordValues& values);
// The fields of `schema` read from g (absent ones without a value), checked by first_missing_field.
RecordValues read_values(const Group& g, RecordValues schema);

template <class S>
void write_record(const Group& g, const S& record, const RecordFields<S>& fields) {
  write_values(g, fields.values(record));
}

template <class S>
S read_record(const Group& g, const RecordFields<S>& fields) {
  return fields.from(read_values(g, fields.schema()), g.path());
}

// The record of the complete unit `unit` of the store, or nothing when it is not complete.
template <class S>
std::optional<S> load_unit(const Store& store, const std::string& unit, const RecordFields<S>& fields) {
  if (!store.is_complete(unit)) return std::nullopt;
  return read_record(store.root().group(unit.front() == '/' ? unit.substr(1) : unit), fields);
}

// Writes the record as the unit `unit` and marks it complete, the last write (Store::complete_unit).
template <class S>
void save_unit(Store& store, const std::string& unit, const S& record, const RecordFields<S>& fields) {
  const Group g = store.begin_unit(unit);
  write_record(g, record, fields);
  store.complete_unit(g);
}

namespace table_detail {
using Column = std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>>;
// The dataset of a table's field with `rows` entries (errors as read_values).
Column read_column(const Group& g, const FieldSpec& spec, std::size_t rows);
// The number of rows of a table: the length of its first field's dataset.
std::size_t table_rows(const Group& g, const FieldSpec& first);
void check_column_kind(const Group& g, const FieldSpec& spec);
}  // namespace table_detail

// One dataset per field (real, integer or text fields only) with one entry per row.
template <class S>
void write_table(const Group& g, const std::vector<S>& rows, const RecordFields<S>& fields) {
  for (const auto& e : fields.entries()) {
    table_detail::check_column_kind(g, e.spec);
    auto value = [&e](const S& row) { return *e.get(row); };
    switch (e.spec.kind) {
      case FieldKind::real: write_column(g, e.spec.name, rows, [&](const S& r) { return std::get<double>(value(r)); }); break;
      case FieldKind::integer:
        write_column(g, e.spec.name, rows, [&](const S& r) { return std::get<std::int64_t>(value(r)); });
        break;
      default: write_column(g, e.spec.name, rows, [&](const S& r) { return std::get<std::string>(value(r)); }); break;
    }
  }
}

template <class S>
std::vector<S> read_table(const Group& g, const RecordFields<S>& fields) {
  const auto& entries = fields.entries();
  if (entries.empty()) return {};
  const std::size_t n = table_detail::table_rows(g, entries.front().spec);
  std::vector<S> rows(n);
  for (const auto& e : entries) {
    const table_detail::Column column = table_detail::read_column(g, e.spec, n);
    std::visit(
        [&](const auto& values) {
          for (std::size_t i = 0; i < n; ++i) e.set(rows[i], FieldValue(values[i]));
        },
        column);
  }
  return rows;
}

}  // namespace batchrmt::outputs
