// Field tables of plain records: one list of (name, member, how it is stored) per struct serves
// both writing and reading. outputs/record.hpp writes and reads a record as HDF5 attributes and
// datasets, record_bytes() below as bytes for MPI. No LibTorch and no HDF5 here, so every layer
// (networks/ included) can declare its records:
//
//   struct Run { double top = 0; std::vector<double> alpha; std::size_t steps = 0; };
//   const RecordFields<Run>& run_fields() {
//     static const auto t = RecordFields<Run>()
//                               .attributes(BATCHRMT_MEMBERS(Run, top))  // stored under the member's name
//                               .attribute("steps", &Run::steps, FieldKind::real)  // a count kept as float64
//                               .datasets(BATCHRMT_MEMBERS(Run, alpha));
//     return t;
//   }
//
// A reader looks every field up by its name: a required field that is missing is an error, never a
// NaN. Presence::omit_when_empty marks a vector, matrix or text that is not written when empty and
// reads as empty when absent; a section (an std::optional member with its own table) is written
// whole or not at all.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/byte_buffer.hpp"
#include "core/errors.hpp"
#include "core/member_names.hpp"

namespace batchrmt {

// The stored kinds, in the order of FieldValue's alternatives.
enum class FieldKind { real, integer, text, reals, integers, matrix };
enum class FieldPlace { attribute, dataset };
enum class Presence { required, omit_when_empty };

using FieldValue =
    std::variant<double, std::int64_t, std::string, std::vector<double>, std::vector<std::int64_t>, Eigen::MatrixXd>;

inline const char* to_string(FieldKind k) {
  static const char* const names[] = {"float64", "int64", "string", "float64 vector", "int64 vector", "float64 matrix"};
  return names[static_cast<int>(k)];
}

struct FieldSpec {
  std::string name;
  FieldKind kind = FieldKind::real;
  FieldPlace place = FieldPlace::attribute;
  Presence presence = Presence::required;
  std::string section;  // non-empty: one of an optional section's fields (all present or none)
};

// A record's fields in table order with their values (nullopt: absent).
struct FieldEntry {
  FieldSpec spec;
  std::optional<FieldValue> value;
};
using RecordValues = std::vector<FieldEntry>;

inline bool is_empty(const FieldValue& v) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T>) return false;
        else return x.size() == 0;
      },
      v);
}

// The first required field without a value: a field outside any section, or one of a section of
// which some field has a value. Empty when the record is complete.
inline std::string first_missing_field(const RecordValues& values) {
  auto section_present = [&](const std::string& section) {
    for (const auto& e : values)
      if (e.spec.section == section && e.value) return true;
    return false;
  };
  for (const auto& e : values)
    if (!e.value && e.spec.presence == Presence::required && (e.spec.section.empty() || section_present(e.spec.section)))
      return e.spec.name;
  return "";
}

namespace record_detail {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// The kind a member of type M is stored as by default.
template <class M>
constexpr FieldKind kind_of() {
  if constexpr (std::is_same_v<M, std::string>) return FieldKind::text;
  else if constexpr (std::is_same_v<M, Eigen::MatrixXd>) return FieldKind::matrix;
  else if constexpr (is_vector<M>::value) {
    static_assert(std::is_arithmetic_v<typename M::value_type>, "vectors of numbers only");
    return std::is_floating_point_v<typename M::value_type> ? FieldKind::reals : FieldKind::integers;
  } else {
    static_assert(std::is_arithmetic_v<M>, "a record field is a number, a string, a vector of numbers or a matrix");
    return std::is_floating_point_v<M> ? FieldKind::real : FieldKind::integer;
  }
}

template <class To, class From>
std::vector<To> convert_all(const std::vector<From>& v) {
  return std::vector<To>(v.begin(), v.end());
}

// The member's value as `kind` (a number as real or integer, a vector of numbers as reals or integers).
template <class M>
FieldValue store(const M& m, FieldKind kind) {
  if constexpr (std::is_arithmetic_v<M>) {
    if (kind == FieldKind::real) return static_cast<double>(m);
    return static_cast<std::int64_t>(m);
  } else if constexpr (is_vector<M>::value) {
    if (kind == FieldKind::reals) return convert_all<double>(m);
    return convert_all<std::int64_t>(m);
  } else {
    return m;
  }
}

// The stored value into the member (numbers and vectors of numbers converted with static_cast).
template <class M>
void load(M& m, const FieldValue& v, const std::string& name) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<M> && std::is_arithmetic_v<T>) m = static_cast<M>(x);
        else if constexpr (is_vector<M>::value && is_vector<T>::value) m = convert_all<typename M::value_type>(x);
        else if constexpr (std::is_same_v<M, T>) m = x;
        else throw InvalidInput("the record field '" + name + "' holds a value of another kind than its member.");
      },
      v);
}

}  // namespace record_detail

template <class S>
class RecordFields {
 public:
  struct Entry {
    FieldSpec spec;
    std::function<std::optional<FieldValue>(const S&)> get;
    std::function<void(S&, const FieldValue&)> set;
  };

  // A data member as an HDF5 attribute, stored as the kind its type implies or as `kind`.
  template <class M>
  RecordFields& attribute(const std::string& name, M S::*member, std::optional<FieldKind> kind = std::nullopt,
                          Presence presence = Presence::required) {
    return add_member({name, kind.value_or(record_detail::kind_of<M>()), FieldPlace::attribute, presence, ""}, member);
  }
  // A data member as a dataset (a scalar one for a number or a string).
  template <class M>
  RecordFields& dataset(const std::string& name, M S::*member, Presence presence = Presence::required) {
    return add_member({name, record_detail::kind_of<M>(), FieldPlace::dataset, presence, ""}, member);
  }
  // Each member as an attribute (or dataset) under the member's own name, stored as the kind its
  // type implies: .attributes(BATCHRMT_MEMBERS(S, lambda, v_phi)) (core/member_names.hpp).
  template <class... M>
  RecordFields& attributes(NamedMember<S, M>... members) {
    (attribute(members.name, members.member), ...);
    return *this;
  }
  template <class... M>
  RecordFields& datasets(NamedMember<S, M>... members) {
    (dataset(members.name, members.member), ...);
    return *this;
  }
  // A field computed from the record and set back by `set` (which may ignore the value).
  RecordFields& computed(FieldSpec spec, std::function<std::optional<FieldValue>(const S&)> get,
                         std::function<void(S&, const FieldValue&)> set) {
    entries_.push_back({std::move(spec), std::move(get), std::move(set)});
    return *this;
  }
  // The fields of a member struct, their names prefixed by `prefix`.
  template <class T>
  RecordFields& nested(const std::string& prefix, T S::*member, const RecordFields<T>& inner) {
    for (const auto& e : inner.entries()) {
      FieldSpec spec = e.spec;
      spec.name = prefix + spec.name;
      computed(spec, [member, get = e.get](const S& s) { return get(s.*member); },
               [member, set = e.set](S& s, const FieldValue& v) { set(s.*member, v); });
    }
    return *this;
  }
  // An optional member struct as the section `section`: its fields are all written when it holds a
  // value and none otherwise; it reads back engaged when any of them is present.
  template <class T>
  RecordFields& section(const std::string& section, std::optional<T> S::*member, const RecordFields<T>& inner) {
    for (const auto& e : inner.entries()) {
      FieldSpec spec = e.spec;
      spec.section = section;
      computed(spec,
               [member, get = e.get](const S& s) -> std::optional<FieldValue> {
                 return (s.*member) ? get(*(s.*member)) : std::nullopt;
               },
               [member, set = e.set](S& s, const FieldValue& v) {
                 if (!(s.*member)) (s.*member).emplace();
                 set(*(s.*member), v);
               });
    }
    return *this;
  }

  const std::vector<Entry>& entries() const { return entries_; }

  // The fields with their values; an omit_when_empty field whose value is empty has none.
  RecordValues values(const S& s) const {
    RecordValues out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) {
      std::optional<FieldValue> v = e.get(s);
      if (v && e.spec.presence == Presence::omit_when_empty && is_empty(*v)) v.reset();
      out.push_back({e.spec, std::move(v)});
    }
    return out;
  }
  // The fields without values: what a reader looks for.
  RecordValues schema() const {
    RecordValues out;
    for (const auto& e : entries_) out.push_back({e.spec, std::nullopt});
    return out;
  }
  // The record from values in table order (from values() or a reader given schema()). InvalidInput
  // for values of another table or a missing required field (`where` names their source).
  S from(const RecordValues& values, const std::string& where) const {
    if (values.size() != entries_.size())
      throw InvalidInput(where + " has " + std::to_string(values.size()) + " fields, but its record has " +
                         std::to_string(entries_.size()) + ".");
    const std::string missing = first_missing_field(values);
    if (!missing.empty()) throw InvalidInput(where + " lacks the field '" + missing + "'.");
    S s{};
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (values[i].spec.name != entries_[i].spec.name)
        throw InvalidInput(where + " holds the field '" + values[i].spec.name + "' where its record has '" +
                           entries_[i].spec.name + "'.");
      if (values[i].value) entries_[i].set(s, *values[i].value);
    }
    return s;
  }

 private:
  template <class M>
  RecordFields& add_member(FieldSpec spec, M S::*member) {
    const FieldKind kind = spec.kind;
    const std::string name = spec.name;
    return computed(
        std::move(spec), [member, kind](const S& s) -> std::optional<FieldValue> { return record_detail::store(s.*member, kind); },
        [member, name](S& s, const FieldValue& v) { record_detail::load(s.*member, v, name); });
  }
  std::vector<Entry> entries_;
};

// A record's values as bytes for MPI (core/byte_buffer.hpp), and back given the same table's
// schema (IoError on a truncated buffer, trailing bytes or a value of another kind).
inline std::vector<std::uint8_t> record_bytes(const RecordValues& values) {
  ByteWriter w;
  for (const auto& e : values) {
    w.put<std::uint8_t>(e.value ? 1 : 0);
    if (e.value) std::visit([&](const auto& x) { w.put(x); }, *e.value);
  }
  return std::move(w.bytes());
}

inline RecordValues record_from_bytes(RecordValues schema, const std::vector<std::uint8_t>& bytes) {
  ByteReader r(bytes);
  for (auto& e : schema) {
    std::uint8_t present = 0;
    r.get(present);
    if (!present) continue;
    FieldValue v;
    switch (e.spec.kind) {
      case FieldKind::real: v = 0.0; break;
      case FieldKind::integer: v = std::int64_t{0}; break;
      case FieldKind::text: v = std::string(); break;
      case FieldKind::reals: v = std::vector<double>(); break;
      case FieldKind::integers: v = std::vector<std::int64_t>(); break;
      case FieldKind::matrix: v = Eigen::MatrixXd(); break;
    }
    std::visit([&](auto& x) { r.get(x); }, v);
    e.value = std::move(v);
  }
  if (!r.done()) throw IoError("a record sent by another MPI rank has trailing bytes.");
  return schema;
}

}  // namespace batchrmt
