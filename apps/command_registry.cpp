#include "apps/command_registry.hpp"

#include <algorithm>
#include <tuple>

namespace batchrmt::app {

namespace {
struct Entry {
  std::string name;
  int order;
  Registrar registrar;
};
std::vector<Entry>& registry() {
  static std::vector<Entry> entries;  // function-local: safe from static-initialisation order
  return entries;
}
}  // namespace

CommandRegistration::CommandRegistration(const char* name, int order, Registrar registrar) {
  registry().push_back({name, order, registrar});
}

void register_all_commands(CLI::App& app, GlobalOptions& global) {
  auto entries = registry();
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.order, a.name) < std::tie(b.order, b.name); });
  for (const auto& e : entries) e.registrar(app, global);
}

}  // namespace batchrmt::app
