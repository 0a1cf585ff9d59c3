// Data members named once: BATCHRMT_MEMBERS(Row, lr, train_loss) expands to
//
//   ::batchrmt::named_member<Row>("lr", &Row::lr), ::batchrmt::named_member<Row>("train_loss", &Row::train_loss)
//
// so a table that stores each member under the member's own name (RecordFields::attributes and
// ::datasets in core/record_fields.hpp, outputs::write_columns) cannot spell the stored name apart
// from the member. A member stored under another name keeps its explicit (name, member) line.
// Members of a base class are taken as members of Row.
#pragma once

namespace batchrmt {

template <class T, class M>
struct NamedMember {
  const char* name;
  M T::*member;
};

template <class T, class M, class Owner>
NamedMember<T, M> named_member(const char* name, M Owner::*member) {
  return {name, static_cast<M T::*>(member)};
}

}  // namespace batchrmt

#define BATCHRMT_MEMBERS(T, ...) BATCHRMT_FOR_EACH(BATCHRMT_NAMED_MEMBER, T, __VA_ARGS__)
#define BATCHRMT_NAMED_MEMBER(T, m) ::batchrmt::named_member<T>(#m, &T::m)

// BATCHRMT_FOR_EACH(macro, T, a, b, c) is macro(T, a), macro(T, b), macro(T, c): each step
// defers the next (BATCHRMT_FOR_EACH_AGAIN is not expanded inside its own expansion) and
// BATCHRMT_EXPAND rescans 256 times, so a list of up to 256 members unrolls. __VA_OPT__ (C++20)
// is accepted in C++17 mode by GCC >= 8 and Clang >= 6, the compilers of CMakePresets.json.
#define BATCHRMT_FOR_EACH(macro, T, ...) __VA_OPT__(BATCHRMT_EXPAND(BATCHRMT_FOR_EACH_STEP(macro, T, __VA_ARGS__)))
#define BATCHRMT_FOR_EACH_STEP(macro, T, first, ...) \
  macro(T, first) __VA_OPT__(, BATCHRMT_FOR_EACH_AGAIN BATCHRMT_PARENS(macro, T, __VA_ARGS__))
#define BATCHRMT_FOR_EACH_AGAIN() BATCHRMT_FOR_EACH_STEP
#define BATCHRMT_PARENS ()
#define BATCHRMT_EXPAND(...) BATCHRMT_EXPAND4(BATCHRMT_EXPAND4(BATCHRMT_EXPAND4(BATCHRMT_EXPAND4(__VA_ARGS__))))
#define BATCHRMT_EXPAND4(...) BATCHRMT_EXPAND3(BATCHRMT_EXPAND3(BATCHRMT_EXPAND3(BATCHRMT_EXPAND3(__VA_ARGS__))))
#define BATCHRMT_EXPAND3(...) BATCHRMT_EXPAND2(BATCHRMT_EXPAND2(BATCHRMT_EXPAND2(BATCHRMT_EXPAND2(__VA_ARGS__))))
#define BATCHRMT_EXPAND2(...) BATCHRMT_EXPAND1(BATCHRMT_EXPAND1(BATCHRMT_EXPAND1(BATCHRMT_EXPAND1(__VA_ARGS__))))
#define BATCHRMT_EXPAND1(...) __VA_ARGS__
