// Error hierarchy of batchrmt. The CLI maps each kind to an exit code:
//   InvalidInput      bad usage or bad input (a value outside what is allowed)  -> exit 2
//   NumericalFailure  a computation that did not reach its answer at run time   -> exit 1
//   IoError           reading or writing files failed at run time               -> exit 1
// Every message is one sentence that names the bad value and what is allowed.
#pragma once

#include <stdexcept>
#include <string>

namespace batchrmt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // Process exit code the CLI returns for this error.
  virtual int exit_code() const noexcept { return 1; }
};

class InvalidInput : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 2; }
};

class NumericalFailure : public Error {
 public:
  using Error::Error;
};

class IoError : public Error {
 public:
  using Error::Error;
};

// Exit code for any exception escaping to main(): ours carry their own, anything else
// (std::bad_alloc, a library's exception) is a run-time failure.
int exit_code_for(const std::exception& e) noexcept;

}  // namespace batchrmt
