// The number format, fields and emit of the `batchrmt theory ...` subcommands (apps/theory_cli.hpp).
#include <iomanip>
#include <sstream>

#include "apps/runtime.hpp"
#include "apps/theory_cli.hpp"

namespace batchrmt::app::theory_cli {

std::string fmt(double v) {
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}
std::string fmt(const std::optional<double>& v) { return v ? fmt(*v) : std::string("none"); }
json nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

Field field(const std::string& key, const std::string& label, double v) { return {key, label, v, fmt(v)}; }
Field field(const std::string& key, const std::string& label, const std::optional<double>& v) {
  return {key, label, nullable(v), fmt(v)};
}
Field field(const std::string& key, const std::string& label, const std::string& v) { return {key, label, v, v}; }

void emit_fields(const GlobalOptions& global, json j, const std::string& title, std::size_t width,
                 const std::vector<Field>& fields, const std::function<void(std::ostream&)>& more) {
  for (const auto& f : fields)
    if (!f.key.empty()) j[f.key] = f.value;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << title << "\n";
    for (const auto& f : fields)
      os << "  " << f.label << std::string(width > f.label.size() ? width - f.label.size() : 1, ' ') << f.text << "\n";
    if (more) more(os);
  });
}


}  // namespace batchrmt::app::theory_cli
