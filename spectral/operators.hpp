// The operator concept of batchrmt: one concept serves everything Krylov (Lanczos, SLQ, eigs).
//
// An operator is any type with
//     Eigen::Index rows() const;                       // square: rows() == cols()
//     void apply(const double* x, double* y) const;    // y = A x, x and y of length rows()
// x and y never alias. Every algorithm in spectral/ (Lanczos, top-k, SLQ, Hutchinson, Spectra)
// takes its operator as a template parameter, so an adapter's apply() is an ordinary, inlinable
// call: there is no virtual call per element, and at most one indirect call per application
// (OperatorRef, AnyOperator, CallbackOperator).
//
// Adapters here are cheap *views*: DenseOperator and SparseOperator point at a matrix they do
// not own (keep the matrix alive), composites (Sum, ShiftScale, Counting) hold their operands by
// value. To compose a heavy or non-copyable operator by reference, wrap it in OperatorRef.
//
// Composites with a scratch buffer (SumOperator) and CountingOperator mutate internal state in
// apply() const; one operator object must therefore not be applied from two threads at once.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/checks.hpp"
#include "core/errors.hpp"

namespace batchrmt::spectral {

// ---------------------------------------------------------------------------------------------
// Concept check (C++17: detection idiom).
template <class Op, class = void>
struct is_operator : std::false_type {};
template <class Op>
struct is_operator<Op, std::void_t<decltype(static_cast<Eigen::Index>(std::declval<const Op&>().rows())),
                                   decltype(std::declval<const Op&>().apply(std::declval<const double*>(),
                                                                            std::declval<double*>()))>>
    : std::true_type {};
template <class Op>
inline constexpr bool is_operator_v = is_operator<Op>::value;

// Eigen convenience: y = A x with contiguous Eigen vectors (Ref with inner stride 1).
template <class Op>
void apply(const Op& op, const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> y) {
  static_assert(is_operator_v<Op>, "apply: Op must model the operator concept (rows(), apply(x, y))");
  check_size_match("spectral::apply", "x", static_cast<std::size_t>(x.size()), "the operator",
                   static_cast<std::size_t>(op.rows()));
  check_size_match("spectral::apply", "y", static_cast<std::size_t>(y.size()), "the operator",
                   static_cast<std::size_t>(op.rows()));
  op.apply(x.data(), y.data());
}
template <class Op>
Eigen::VectorXd apply(const Op& op, const Eigen::Ref<const Eigen::VectorXd>& x) {
  Eigen::VectorXd y(op.rows());
  apply(op, x, y);
  return y;
}

// Dense A (column-major, not owned). y = A x by Eigen's GEMV. A is assumed symmetric by the
// eigen-solvers; the adapter itself applies A as stored.
class DenseOperator {
 public:
  explicit DenseOperator(const Eigen::MatrixXd& a) : a_(a.data(), a.rows(), a.cols()) {
    check_size_match("DenseOperator", "rows", static_cast<std::size_t>(a.rows()), "cols",
                     static_cast<std::size_t>(a.cols()));
  }
  Eigen::Index rows() const { return a_.rows(); }
  void apply(const double* x, double* y) const {
    Eigen::Map<const Eigen::VectorXd> xv(x, a_.cols());
    Eigen::Map<Eigen::VectorXd> yv(y, a_.rows());
    yv.noalias() = a_ * xv;
  }
  const Eigen::Map<const Eigen::MatrixXd>& matrix() const { return a_; }

 private:
  Eigen::Map<const Eigen::MatrixXd> a_;
};

// Sparse A (any Eigen::SparseMatrix<double, Options, Index>, not owned).
template <class Sparse = Eigen::SparseMatrix<double>>
class SparseOperator {
 public:
  explicit SparseOperator(const Sparse& a) : a_(&a) {
    check_size_match("SparseOperator", "rows", static_cast<std::size_t>(a.rows()), "cols",
                     static_cast<std::size_t>(a.cols()));
  }
  Eigen::Index rows() const { return a_->rows(); }
  void apply(const double* x, double* y) const {
    Eigen::Map<const Eigen::VectorXd> xv(x, a_->cols());
    Eigen::Map<Eigen::VectorXd> yv(y, a_->rows());
    yv.noalias() = (*a_) * xv;
  }

 private:
  const Sparse* a_;
};

// Callback: y = f(x) through std::function (one indirect call per application).
class CallbackOperator {
 public:
  using Function = std::function<void(const double* x, double* y)>;
  CallbackOperator(Eigen::Index n, Function f) : n_(n), f_(std::move(f)) {
    check_at_least("CallbackOperator", "n", n, Eigen::Index(1));
    if (!f_) throw InvalidInput("CallbackOperator: the callback is empty, but must be callable.");
  }
  Eigen::Index rows() const { return n_; }
  void apply(const double* x, double* y) const { f_(x, y); }

 private:
  Eigen::Index n_;
  Function f_;
};

// Non-owning, type-erased reference to any operator: one indirect call per application. Use it
// to pass a heavy operator by reference into a composite, or across a .cpp boundary.
class OperatorRef {
 public:
  template <class Op, class = std::enable_if_t<is_operator_v<Op> && !std::is_same_v<Op, OperatorRef>>>
  OperatorRef(const Op& op)  // NOLINT(google-explicit-constructor): a view, like std::string_view
      : obj_(&op), n_(op.rows()), fn_([](const void* o, const double* x, double* y) {
          static_cast<const Op*>(o)->apply(x, y);
        }) {}
  Eigen::Index rows() const { return n_; }
  void apply(const double* x, double* y) const { fn_(obj_, x, y); }

 private:
  const void* obj_;
  Eigen::Index n_;
  void (*fn_)(const void*, const double*, double*);
};

// Owning, type-erased operator (shared, copyable; one virtual call per application). networks/
// returns its HVP/GGN operators as AnyOperator from a .cpp file so LibTorch stays out of headers.
class AnyOperator {
 public:
  AnyOperator() = default;
  template <class Op, class = std::enable_if_t<is_operator_v<std::decay_t<Op>> &&
                                               !std::is_same_v<std::decay_t<Op>, AnyOperator>>>
  AnyOperator(Op&& op)  // NOLINT(google-explicit-constructor)
      : impl_(std::make_shared<Model<std::decay_t<Op>>>(std::forward<Op>(op))) {}
  Eigen::Index rows() const { return impl_ ? impl_->rows() : 0; }
  void apply(const double* x, double* y) const { impl_->apply(x, y); }
  explicit operator bool() const { return static_cast<bool>(impl_); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual Eigen::Index rows() const = 0;
    virtual void apply(const double* x, double* y) const = 0;
  };
  template <class Op>
  struct Model final : Concept {
    explicit Model(Op o) : op(std::move(o)) {}
    Eigen::Index rows() const override { return op.rows(); }
    void apply(const double* x, double* y) const override { op.apply(x, y); }
    Op op;
  };
  std::shared_ptr<const Concept> impl_;
};

// y = ca * A x + cb * B x (e.g. H_batch - H_full with ca = 1, cb = -1). One scratch vector.
template <class A, class B>
class SumOperator {
 public:
  SumOperator(A a, B b, double ca = 1.0, double cb = 1.0)
      : a_(std::move(a)), b_(std::move(b)), ca_(ca), cb_(cb) {
    check_size_match("SumOperator", "rows of the first operator", static_cast<std::size_t>(a_.rows()),
                     "the second", static_cast<std::size_t>(b_.rows()));
  }
  Eigen::Index rows() const { return a_.rows(); }
  void apply(const double* x, double* y) const {
    const Eigen::Index n = rows();
    tmp_.resize(static_cast<std::size_t>(n));
    a_.apply(x, y);
    b_.apply(x, tmp_.data());
    Eigen::Map<Eigen::VectorXd> yv(y, n);
    Eigen::Map<const Eigen::VectorXd> tv(tmp_.data(), n);
    if (ca_ == 1.0)
      yv += cb_ * tv;
    else
      yv = ca_ * yv + cb_ * tv;
  }

 private:
  A a_;
  B b_;
  double ca_, cb_;
  mutable std::vector<double> tmp_;
};
template <class A, class B>
SumOperator<A, B> make_sum(A a, B b) {
  return SumOperator<A, B>(std::move(a), std::move(b), 1.0, 1.0);
}
template <class A, class B>
SumOperator<A, B> make_difference(A a, B b) {
  return SumOperator<A, B>(std::move(a), std::move(b), 1.0, -1.0);
}

// y = scale * A x + shift * x.
template <class A>
class ShiftScaleOperator {
 public:
  ShiftScaleOperator(A a, double scale, double shift) : a_(std::move(a)), scale_(scale), shift_(shift) {}
  Eigen::Index rows() const { return a_.rows(); }
  void apply(const double* x, double* y) const {
    a_.apply(x, y);
    if (scale_ == 1.0 && shift_ == 0.0) return;
    Eigen::Map<Eigen::VectorXd> yv(y, rows());
    Eigen::Map<const Eigen::VectorXd> xv(x, rows());
    yv = scale_ * yv + shift_ * xv;
  }
  double scale() const { return scale_; }
  double shift() const { return shift_; }

 private:
  A a_;
  double scale_, shift_;
};
template <class A>
ShiftScaleOperator<A> make_shift_scale(A a, double scale, double shift) {
  return ShiftScaleOperator<A>(std::move(a), scale, shift);
}

// Counts applications and the wall time spent inside the wrapped operator (steady_clock).
template <class A>
class CountingOperator {
 public:
  explicit CountingOperator(A a) : a_(std::move(a)) {}
  Eigen::Index rows() const { return a_.rows(); }
  void apply(const double* x, double* y) const {
    const auto t0 = std::chrono::steady_clock::now();
    a_.apply(x, y);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++applications_;
  }
  std::int64_t applications() const { return applications_; }
  double seconds() const { return seconds_; }
  void reset() const {
    applications_ = 0;
    seconds_ = 0.0;
  }
  const A& inner() const { return a_; }

 private:
  A a_;
  mutable std::int64_t applications_ = 0;
  mutable double seconds_ = 0.0;
};
template <class A>
CountingOperator<A> make_counting(A a) {
  return CountingOperator<A>(std::move(a));
}

// Spectra 1.0 wants `Scalar`, rows(), cols() and perform_op(const Scalar*, Scalar*) const.
template <class Op>
class SpectraOperator {
 public:
  using Scalar = double;
  explicit SpectraOperator(const Op& op) : op_(&op) {}
  Eigen::Index rows() const { return op_->rows(); }
  Eigen::Index cols() const { return op_->rows(); }
  void perform_op(const double* x, double* y) const { op_->apply(x, y); }

 private:
  const Op* op_;
};

}  // namespace batchrmt::spectral
