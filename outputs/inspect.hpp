// `batchrmt inspect FILE.h5`: the tree of a result file with shapes, attributes and the
// status of each unit of work — like `h5ls -r`, but aware of the schema.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace batchrmt::outputs {

// {"file", "schema_version", "run_status", "attributes": {...}, "units": {path: status},
//  "tree": [{"path", "kind": "group"|"dataset", "shape", "dtype", "attributes", "status"?}]}
// Throws IoError / InvalidInput (via Reader) for missing, corrupt or foreign files.
nlohmann::json describe_file(const std::string& path);

// Indented text rendering of describe_file()'s result.
std::string render_description(const nlohmann::json& description);

}  // namespace batchrmt::outputs
