#include "apps/number_checks.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace batchrmt::app {

namespace {

bool all_digits(const std::string& s, std::size_t from) {
  if (from >= s.size()) return false;
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// A validator whose refusal is InvalidInput (exit 2) with `check`'s sentence rather than CLI11's
// "--x: ..." parse error.
CLI::Validator refusing(std::function<std::string(std::string&)> check) {
  return CLI::Validator(
      [check](std::string& s) -> std::string {
        const std::string refusal = check(s);
        if (!refusal.empty()) throw InvalidInput(refusal + ".");
        return std::string();
      },
      "", "");
}

CLI::Validator whole_number(const std::string& name, bool is_unsigned) {
  return refusing([name, is_unsigned](std::string& s) -> std::string {
    const std::string range = is_unsigned ? "[0, 18446744073709551615]" : "[-9223372036854775808, 9223372036854775807]";
    const std::size_t from = (!s.empty() && (s[0] == '+' || (!is_unsigned && s[0] == '-'))) ? 1 : 0;
    if (!all_digits(s, from)) return name + " is " + s + ", but must be a whole number in " + range;
    errno = 0;
    if (is_unsigned) (void)std::strtoull(s.c_str(), nullptr, 10);
    else (void)std::strtoll(s.c_str(), nullptr, 10);
    if (errno == ERANGE) return name + " is " + s + ", which is too large: it must be a whole number in " + range;
    // Decimal always: CLI11 would read "020" as octal 16 and "0x10" as 16.
    const bool negative = s[0] == '-';
    std::size_t first = from;
    while (first + 1 < s.size() && s[first] == '0') ++first;
    s = (negative && s.substr(first) != "0" ? "-" : "") + s.substr(first);
    return std::string();
  });
}

CLI::Validator finite_number(const std::string& name) {
  return refusing([name](std::string& s) -> std::string {
    char* end = nullptr;
    errno = 0;
    const double x = std::strtod(s.c_str(), &end);
    if (s.empty() || end == s.c_str() || *end != '\0') return name + " is " + s + ", but must be a number";
    if (!std::isfinite(x) || (errno == ERANGE && std::abs(x) > 1.0))
      return name + " is " + s + ", but must be a finite number within double range";
    return std::string();
  });
}

// Runs `allowed` on the option's value; a refusal names the option, the value and `what`.
CLI::Option* must_satisfy(CLI::Option* option, std::function<bool(const std::string&)> allowed, const std::string& what) {
  const std::string name = option->get_name();
  return option->check(refusing([name, allowed, what](std::string& value) -> std::string {
    return allowed(value) ? std::string() : name + " is " + value + ", but must be " + what;
  }));
}

std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

CLI::Option* must_be_at_least(CLI::Option* option, double low) {
  return must_satisfy(option, [low](const std::string& v) { return std::strtod(v.c_str(), nullptr) >= low; },
                      "at least " + number_text(low));
}

CLI::Option* must_be_positive(CLI::Option* option) {
  return must_satisfy(option, [](const std::string& v) { return std::strtod(v.c_str(), nullptr) > 0.0; },
                      "positive and finite");
}

CLI::Option* must_be_one_of(CLI::Option* option, const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return must_satisfy(
      option, [allowed](const std::string& v) { return std::find(allowed.begin(), allowed.end(), v) != allowed.end(); },
      "one of " + list);
}

void add_strict_number_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options([](CLI::Option*) { return true; })) {
    if (opt->get_expected_max() == 0) continue;  // flags
    const std::string type = opt->get_type_name().substr(0, opt->get_type_name().find(':'));
    const std::string name = opt->get_name();
    // transform, not check: CLI11 hands a check a copy, and the decimal rewrite must stick.
    if (type == "INT") opt->transform(whole_number(name, false));
    else if (type == "UINT") opt->transform(whole_number(name, true));
    else if (type == "FLOAT") opt->transform(finite_number(name));  // first: the named checks read a number
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_strict_number_checks(*sub);
}

}  // namespace batchrmt::app
