#include "apps/number_checks.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace batchrmt::app {

namespace {

bool all_digits(const std::string& s, std::size_t from) {
  if (from >= s.size()) return false;
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

CLI::Validator whole_number(const std::string& name, bool is_unsigned) {
  return CLI::Validator(
      [name, is_unsigned](std::string& s) -> std::string {
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
      },
      "", "");
}

CLI::Validator finite_number(const std::string& name) {
  return CLI::Validator(
      [name](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double x = std::strtod(s.c_str(), &end);
        if (s.empty() || end == s.c_str() || *end != '\0') return name + " is " + s + ", but must be a number";
        if (!std::isfinite(x) || errno == ERANGE && std::abs(x) > 1.0)
          return name + " is " + s + ", but must be a finite number within double range";
        return std::string();
      },
      "", "");
}

}  // namespace

void add_strict_number_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options([](CLI::Option*) { return true; })) {
    if (opt->get_expected_max() == 0) continue;  // flags
    const std::string type = opt->get_type_name().substr(0, opt->get_type_name().find(':'));
    const std::string name = opt->get_name();
    // transform, not check: CLI11 hands a check a copy, and the decimal rewrite must stick.
    if (type == "INT") opt->transform(whole_number(name, false));
    else if (type == "UINT") opt->transform(whole_number(name, true));
    else if (type == "FLOAT") opt->check(finite_number(name));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_strict_number_checks(*sub);
}

}  // namespace batchrmt::app
