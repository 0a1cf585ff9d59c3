#include "core/errors.hpp"

namespace batchrmt {

int exit_code_for(const std::exception& e) noexcept {
  if (const auto* ours = dynamic_cast<const Error*>(&e)) return ours->exit_code();
  return 1;
}

}  // namespace batchrmt
