// Strict numbers on the command line: every integer option takes a whole decimal number that
// fits (an unsigned one takes no sign; "020" is twenty, not CLI11's octal 16), every floating
// option a finite number, and a refusal
// names what was typed and what is allowed ("--P is 100.5, but must be a whole number";
// "--seed is -1, but must be a whole number in [0, 18446744073709551615]").
#pragma once

#include <CLI/CLI.hpp>

namespace batchrmt::app {

// Adds the checks to every option of `app` and of its subcommands (recursively).
void add_strict_number_checks(CLI::App& app);

}  // namespace batchrmt::app
