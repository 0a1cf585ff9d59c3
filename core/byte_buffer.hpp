// A flat byte encoding of numbers, strings, vectors and matrices, for sending results between
// MPI ranks (core/mpi_context.hpp). Host byte order: sender and receiver are the same binary
// on the same kind of machine. The reader checks every length against the bytes left and
// throws IoError on a truncated or foreign buffer instead of reading past its end.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "core/errors.hpp"

namespace batchrmt {

class ByteWriter {
 public:
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  void put(T v) {
    raw(&v, sizeof v);
  }
  void put(const std::string& s) {
    put<std::uint64_t>(s.size());
    raw(s.data(), s.size());
  }
  template <class T>
  void put(const std::vector<T>& v) {
    static_assert(std::is_arithmetic_v<T>, "vectors of numbers only");
    put<std::uint64_t>(v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
  void put(const Eigen::MatrixXd& m) {
    put<std::int64_t>(m.rows());
    put<std::int64_t>(m.cols());
    raw(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
  }
  template <class V>
  void put(const std::map<std::string, V>& m) {
    put<std::uint64_t>(m.size());
    for (const auto& [k, v] : m) {
      put(k);
      put(v);
    }
  }
  // Writes each argument in turn: one field list serves both directions (see ByteReader).
  template <class... T>
  void operator()(const T&... v) {
    (put(v), ...);
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<std::uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::vector<std::uint8_t>& bytes) : bytes_(bytes) {}
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  void get(T& v) {
    raw(&v, sizeof v);
  }
  void get(std::string& s) {
    s.resize(count(1));
    raw(s.data(), s.size());
  }
  template <class T>
  void get(std::vector<T>& v) {
    static_assert(std::is_arithmetic_v<T>, "vectors of numbers only");
    v.resize(count(sizeof(T)));
    raw(v.data(), v.size() * sizeof(T));
  }
  void get(Eigen::MatrixXd& m) {
    std::int64_t r = 0, c = 0;
    get(r);
    get(c);
    if (r < 0 || c < 0 || (r > 0 && static_cast<std::uint64_t>(c) > left() / sizeof(double) / static_cast<std::uint64_t>(r)))
      throw IoError("a byte buffer from another MPI rank is truncated (matrix of " + std::to_string(r) + " x " + std::to_string(c) + ").");
    m.resize(r, c);
    raw(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
  }
  template <class V>
  void get(std::map<std::string, V>& m) {
    m.clear();
    const std::size_t n = count(1);
    for (std::size_t i = 0; i < n; ++i) {
      std::string k;
      get(k);
      get(m[k]);
    }
  }
  // Reads each argument in turn, so `template <class A, class S> void fields(A& a, S& s) { a(s.x, s.y); }`
  // encodes with a ByteWriter and decodes with a ByteReader.
  template <class... T>
  void operator()(T&... v) {
    (get(v), ...);
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::size_t left() const { return bytes_.size() - pos_; }
  std::size_t count(std::size_t element_size) {
    std::uint64_t n = 0;
    get(n);
    if (n > left() / element_size)
      throw IoError("a byte buffer from another MPI rank is truncated (" + std::to_string(n) + " elements announced, " +
                    std::to_string(left()) + " bytes left).");
    return static_cast<std::size_t>(n);
  }
  void raw(void* p, std::size_t n) {
    if (n > left()) throw IoError("a byte buffer from another MPI rank is truncated.");
    if (n) std::memcpy(p, bytes_.data() + pos_, n);
    pos_ += n;
  }
  const std::vector<std::uint8_t>& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace batchrmt
