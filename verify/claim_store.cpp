#include "verify/claim_store.hpp"

#include "core/byte_buffer.hpp"
#include "outputs/record.hpp"
#include "verify/statistics.hpp"

#include <cmath>

namespace batchrmt::verify {

namespace {
nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

// The headline attributes of a claim unit (core/record_fields.hpp); its scalar.*, label.*,
// series/ and matrices/ are named by the claim and follow below.
const RecordFields<ClaimResult>& claim_fields() {
  using C = ClaimResult;
  static const auto t =
      RecordFields<C>()
          .attribute("check_id", &C::id)
          .attribute("check_name", &C::name)
          .computed({"verdict", FieldKind::text, FieldPlace::attribute, Presence::required, ""},
                    [](const C& c) { return FieldValue(to_string(c.verdict)); },
                    [](C& c, const FieldValue& v) { c.verdict = parse_verdict(std::get<std::string>(v)); })
          .attributes(BATCHRMT_MEMBERS(C, prediction, measurement))
          .attribute("stderr", &C::stderr_)
          .attributes(BATCHRMT_MEMBERS(C, z, note))
          .attribute("wall_seconds", &C::seconds);
  return t;
}
}  // namespace

void write_claim(const outputs::Group& g, const ClaimResult& c) {
  outputs::write_record(g, c, claim_fields());
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
  ClaimResult c = outputs::read_record(g, claim_fields());
  for (const auto& [name, value] : g.attributes()) {
    if (name.rfind("scalar.", 0) == 0) {
      const auto* d = std::get_if<double>(&value);
      const auto* i = std::get_if<std::int64_t>(&value);
      c.scalars[name.substr(7)] = d ? *d : i ? static_cast<double>(*i) : std::numeric_limits<double>::quiet_NaN();
    }
    if (name.rfind("label.", 0) == 0) {
      const auto* s = std::get_if<std::string>(&value);
      c.labels[name.substr(6)] = s ? *s : "";
    }
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

void put_values(ClaimResult& c, const RecordValues& values, const std::string& prefix) {
  for (const auto& e : values) {
    if (!e.value) continue;
    const std::string name = prefix + e.spec.name;
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_arithmetic_v<T>) c.scalars[name] = static_cast<double>(x);
          else if constexpr (std::is_same_v<T, std::string>) c.labels[name] = x;
          else if constexpr (std::is_same_v<T, Eigen::MatrixXd>) c.matrices[name] = x;
          else c.series[name] = std::vector<double>(x.begin(), x.end());
        },
        *e.value);
  }
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
