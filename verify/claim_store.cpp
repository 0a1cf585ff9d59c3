#include "verify/claim_store.hpp"

#include "core/byte_buffer.hpp"

#include <cmath>

namespace batchrmt::verify {

namespace {
nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

double attr_double(const outputs::Group& g, const std::string& name) {
  const auto v = g.attribute(name);
  if (!v) return std::numeric_limits<double>::quiet_NaN();
  if (const auto* d = std::get_if<double>(&*v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&*v)) return static_cast<double>(*i);
  return std::numeric_limits<double>::quiet_NaN();
}
std::string attr_string(const outputs::Group& g, const std::string& name) {
  const auto v = g.attribute(name);
  if (v)
    if (const auto* s = std::get_if<std::string>(&*v)) return *s;
  return "";
}
}  // namespace

void write_claim(const outputs::Group& g, const ClaimResult& c) {
  g.set_attribute("check_id", c.id);
  g.set_attribute("check_name", c.name);
  g.set_attribute("verdict", to_string(c.verdict));
  g.set_attribute("prediction", c.prediction);
  g.set_attribute("measurement", c.measurement);
  g.set_attribute("stderr", c.stderr_);
  g.set_attribute("z", c.z);
  g.set_attribute("note", c.note);
  g.set_attribute("wall_seconds", c.seconds);
  for (const auto& [name, value] : c.scalars) g.set_attribute("scalar." + name, value);
  for (const auto& [name, value] : c.labels) g.set_attribute("label." + name, value);
  if (!c.series.empty()) {
    const auto s = g.group("series");
    for (const auto& [name, values] : c.series) s.write(name, values);
  }
  if (!c.matrices.empty()) {
    const auto m = g.group("matrices");
    for (const auto& [name, values] : c.matrices) m.write(name, values);
  }
}

ClaimResult read_claim(const outputs::Group& g) {
  ClaimResult c;
  c.id = attr_string(g, "check_id");
  c.name = attr_string(g, "check_name");
  c.verdict = parse_verdict(attr_string(g, "verdict"));
  c.prediction = attr_double(g, "prediction");
  c.measurement = attr_double(g, "measurement");
  c.stderr_ = attr_double(g, "stderr");
  c.z = attr_double(g, "z");
  c.note = attr_string(g, "note");
  c.seconds = attr_double(g, "wall_seconds");
  for (const auto& [name, value] : g.attributes()) {
    if (name.rfind("scalar.", 0) == 0) c.scalars[name.substr(7)] = attr_double(g, name);
    if (name.rfind("label.", 0) == 0) c.labels[name.substr(6)] = attr_string(g, name);
  }
  if (g.has("series"))
    for (const auto& name : g.group("series").children()) {
      const Eigen::VectorXd v = g.group("series").read_vector(name);
      c.series[name] = std::vector<double>(v.data(), v.data() + v.size());
    }
  if (g.has("matrices"))
    for (const auto& name : g.group("matrices").children()) c.matrices[name] = g.group("matrices").read_matrix(name);
  return c;
}

nlohmann::json claim_json(const ClaimResult& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"verdict", to_string(c.verdict)},
          {"prediction", number_or_null(c.prediction)},
          {"measurement", number_or_null(c.measurement)},
          {"stderr", number_or_null(c.stderr_)},
          {"z", number_or_null(c.z)},
          {"note", c.note}};
}

namespace {
// The fields of a claim in transfer order (the verdict travels as an int32).
template <class Archive, class Claim>
void claim_fields(Archive& a, Claim& c, std::int32_t& verdict) {
  a(c.id, c.name, verdict, c.prediction, c.measurement, c.stderr_, c.z, c.seconds, c.note, c.series, c.matrices, c.scalars,
    c.labels);
}
}  // namespace

std::vector<std::uint8_t> encode_claim(const ClaimResult& c) {
  ByteWriter w;
  std::int32_t verdict = static_cast<std::int32_t>(c.verdict);
  claim_fields(w, c, verdict);
  return std::move(w.bytes());
}

ClaimResult decode_claim(const std::vector<std::uint8_t>& bytes) {
  ByteReader r(bytes);
  ClaimResult c;
  std::int32_t verdict = 0;
  claim_fields(r, c, verdict);
  if (!r.done()) throw IoError("a claim sent by another MPI rank has trailing bytes.");
  if (verdict < 0 || verdict > static_cast<std::int32_t>(Verdict::inconclusive))
    throw IoError("a claim sent by another MPI rank has the unknown verdict code " + std::to_string(verdict) + ".");
  c.verdict = static_cast<Verdict>(verdict);
  return c;
}

}  // namespace batchrmt::verify
