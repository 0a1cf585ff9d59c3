// Strict numbers on the command line: every integer option takes a whole decimal number that
// fits (an unsigned one takes no sign; "020" is twenty, not CLI11's octal 16), every floating
// option a finite number. Named checks of one option's value run after them. Every refusal is
// InvalidInput (exit 2), one sentence naming the option, what was typed and what is allowed:
//   "--P is 100.5, but must be a whole number in [-9223372036854775808, 9223372036854775807]."
//   "--beta is 3, but must be one of 1, 2."
// e.g. must_be_one_of(sub->add_option("--method", o.method, "dense | tridiagonal"), {"dense", "tridiagonal"});
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace batchrmt::app {

// Adds the checks to every option of `app` and of its subcommands (recursively).
void add_strict_number_checks(CLI::App& app);

// The option's value is at least `low` (a number option).
CLI::Option* must_be_at_least(CLI::Option* option, double low);
// The option's value is positive and finite (a number option).
CLI::Option* must_be_positive(CLI::Option* option);
// The option's value is one of `allowed`, compared as typed ("02" is not "2" for a text option).
CLI::Option* must_be_one_of(CLI::Option* option, const std::vector<std::string>& allowed);

}  // namespace batchrmt::app
