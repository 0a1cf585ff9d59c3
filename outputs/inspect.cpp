#include "outputs/inspect.hpp"

#include <sstream>

#include "outputs/store.hpp"

namespace batchrmt::outputs {

namespace {

nlohmann::json to_json(const AttributeValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

nlohmann::json attributes_json(const Group& g) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : g.attributes()) out[name] = to_json(value);
  return out;
}

void walk(const Group& g, nlohmann::json& tree) {
  for (const auto& name : g.children()) {
    nlohmann::json node;
    const std::string path = (g.path() == "/" ? "" : g.path()) + "/" + name;
    node["path"] = path;
    if (g.is_group(name)) {
      const Group child = g.group(name);
      node["kind"] = "group";
      node["attributes"] = attributes_json(child);
      if (node["attributes"].contains("status")) node["status"] = node["attributes"]["status"];
      tree.push_back(node);
      walk(child, tree);
    } else {
      const DatasetInfo info = g.dataset_info(name);
      node["kind"] = "dataset";
      node["shape"] = info.shape;
      node["dtype"] = info.dtype;
      node["chunked"] = info.chunked;
      node["compressed"] = info.compressed;
      tree.push_back(node);
    }
  }
}

std::string shape_text(const nlohmann::json& shape) {
  if (shape.empty()) return "scalar";
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i].get<std::size_t>());
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

nlohmann::json describe_file(const std::string& path) {
  const Reader reader = Reader::open(path);
  nlohmann::json out;
  out["file"] = path;
  out["schema_version"] = reader.schema_version();
  const Group root = reader.root();
  out["attributes"] = attributes_json(root);
  out["run_status"] = out["attributes"].value("run_status", "unknown");
  out["units"] = nlohmann::json::object();
  for (const auto& [unit, status] : reader.unit_status()) out["units"][unit] = status;
  out["tree"] = nlohmann::json::array();
  walk(root, out["tree"]);
  return out;
}

std::string render_description(const nlohmann::json& d) {
  std::ostringstream os;
  os << d["file"].get<std::string>() << "  (schema " << d["schema_version"].get<std::int64_t>()
     << ", run " << d["run_status"].get<std::string>() << ")\n";
  for (const auto& [name, value] : d["attributes"].items()) os << "  @" << name << " = " << value_text(value) << "\n";
  std::size_t complete = 0;
  for (const auto& [unit, status] : d["units"].items())
    if (status == "complete") ++complete;
  os << "units: " << complete << " complete of " << d["units"].size() << "\n";
  for (const auto& node : d["tree"]) {
    const std::string path = node["path"].get<std::string>();
    const auto depth = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
    const std::string indent(2 * depth, ' ');
    const std::string leaf = path.substr(path.rfind('/') + 1);
    if (node["kind"] == "group") {
      os << indent << leaf << "/";
      if (node.contains("status")) os << "  [unit: " << node["status"].get<std::string>() << "]";
      os << "\n";
      for (const auto& [name, value] : node["attributes"].items()) {
        if (name == "status") continue;
        os << indent << "  @" << name << " = " << value_text(value) << "\n";
      }
    } else {
      os << indent << leaf << "  " << node["dtype"].get<std::string>() << " " << shape_text(node["shape"]);
      if (node["compressed"].get<bool>()) os << " deflate";
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace batchrmt::outputs
