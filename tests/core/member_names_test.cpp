// core/member_names.hpp: BATCHRMT_MEMBERS names each member by its own spelling and points at
// that member (of a base class too); RecordFields::attributes and ::datasets store them as the
// explicit (name, member) lines would, and a record survives a write and read through bytes.
#include "core/member_names.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "core/record_fields.hpp"

using namespace batchrmt;

namespace {

struct Base {
  double lr_max = 0;
};

struct Row : Base {
  double lambda = 0, v_phi = 0;
  std::int64_t B = 0;
  bool bracketed = false;
  std::string regime;
  std::vector<double> alpha;
  std::vector<std::size_t> indices;
};

Row sample_row() {
  Row r;
  r.lr_max = 0.25;
  r.lambda = 3.5;
  r.v_phi = -1.125;
  r.B = 64;
  r.bracketed = true;
  r.regime = "outlier";
  r.alpha = {1.0, 2.0};
  r.indices = {4, 7, 9};
  return r;
}

// The names of a pack of named members, in order.
template <class... M>
std::vector<std::string> names_of(NamedMember<Row, M>... members) {
  return {members.name...};
}

}  // namespace

TEST(MemberNames, NamesEachMemberByItsSpellingAndPointsAtIt) {
  EXPECT_EQ(names_of(BATCHRMT_MEMBERS(Row, lambda, v_phi, B, bracketed, regime)),
            (std::vector<std::string>{"lambda", "v_phi", "B", "bracketed", "regime"}));
  const Row r = sample_row();
  const auto [lambda, v_phi, B, regime] = std::make_tuple(BATCHRMT_MEMBERS(Row, lambda, v_phi, B, regime));
  EXPECT_EQ(r.*lambda.member, 3.5);
  EXPECT_EQ(r.*v_phi.member, -1.125);
  EXPECT_EQ(r.*B.member, 64);
  EXPECT_EQ(r.*regime.member, "outlier");
}

TEST(MemberNames, TakesAMemberOfABaseClassAsOneOfTheRow) {
  const NamedMember<Row, double> lr_max = named_member<Row>("lr_max", &Row::lr_max);
  EXPECT_EQ(names_of(BATCHRMT_MEMBERS(Row, lr_max)), std::vector<std::string>{"lr_max"});
  EXPECT_EQ(sample_row().*lr_max.member, 0.25);
}

TEST(MemberNames, UnrollsALongList) {
  struct Wide {
    int a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, c0, c1, c2, c3, c4, c5;
  };
  const auto names = [](auto... m) { return std::vector<std::string>{m.name...}; }(
      BATCHRMT_MEMBERS(Wide, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, c0, c1, c2,
                       c3, c4, c5));
  ASSERT_EQ(names.size(), 26u);
  EXPECT_EQ(names.front(), "a0");
  EXPECT_EQ(names[12], "b2");
  EXPECT_EQ(names.back(), "c5");
}

TEST(MemberNames, RecordFieldsStoreThemAsTheExplicitLinesWould) {
  const auto named = RecordFields<Row>()
                         .attributes(BATCHRMT_MEMBERS(Row, lambda, B, regime))
                         .datasets(BATCHRMT_MEMBERS(Row, indices));
  const auto spelt = RecordFields<Row>()
                         .attribute("lambda", &Row::lambda)
                         .attribute("B", &Row::B)
                         .attribute("regime", &Row::regime)
                         .dataset("indices", &Row::indices);
  const RecordValues a = named.values(sample_row()), b = spelt.values(sample_row());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].spec.name, b[i].spec.name);
    EXPECT_EQ(a[i].spec.kind, b[i].spec.kind) << a[i].spec.name;
    EXPECT_EQ(a[i].spec.place, b[i].spec.place) << a[i].spec.name;
  }
  const std::vector<FieldKind> kinds = {FieldKind::real, FieldKind::integer, FieldKind::text, FieldKind::integers};
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].spec.kind, kinds[i]) << a[i].spec.name;
  EXPECT_EQ(a[3].spec.place, FieldPlace::dataset);
  EXPECT_EQ(record_bytes(a), record_bytes(b));
}

TEST(MemberNames, ARecordRoundTripsThroughBytes) {
  const auto fields = RecordFields<Row>()
                          .attributes(BATCHRMT_MEMBERS(Row, lr_max, lambda, v_phi, B, bracketed, regime))
                          .datasets(BATCHRMT_MEMBERS(Row, alpha, indices));
  const Row r = sample_row();
  const Row back = fields.from(record_from_bytes(fields.schema(), record_bytes(fields.values(r))), "the test buffer");
  const auto all = [](const Row& x) {
    return std::tie(x.lr_max, x.lambda, x.v_phi, x.B, x.bracketed, x.regime, x.alpha, x.indices);
  };
  EXPECT_TRUE(all(back) == all(r));
  EXPECT_EQ(back.indices, r.indices);
}
