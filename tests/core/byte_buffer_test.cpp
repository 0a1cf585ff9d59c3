// core/byte_buffer.hpp: what one MPI rank encodes, another decodes exactly; a truncated or
// foreign buffer is an IoError, never a read past its end.
#include "core/byte_buffer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/mpi_context.hpp"

using batchrmt::ByteReader;
using batchrmt::ByteWriter;

TEST(ByteBuffer, RoundTripsNumbersStringsVectorsMatricesAndMaps) {
  ByteWriter w;
  w.put(3.25);
  w.put(std::int64_t{-7});
  w.put(std::string("résumé"));
  w.put(std::vector<double>{1.0, std::numeric_limits<double>::quiet_NaN(), -0.0});
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  w.put(m);
  w.put(std::map<std::string, std::vector<std::int64_t>>{{"a", {1, 2}}, {"b", {}}});
  w.put(std::map<std::string, std::string>{{"k", "v"}});
  const auto bytes = w.bytes();

  ByteReader r(bytes);
  double d = 0;
  std::int64_t i = 0;
  std::string s;
  std::vector<double> v;
  Eigen::MatrixXd mm;
  std::map<std::string, std::vector<std::int64_t>> mi;
  std::map<std::string, std::string> ms;
  r.get(d);
  r.get(i);
  r.get(s);
  r.get(v);
  r.get(mm);
  r.get(mi);
  r.get(ms);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(d, 3.25);
  EXPECT_EQ(i, -7);
  EXPECT_EQ(s, "résumé");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_TRUE(std::signbit(v[2]));
  EXPECT_EQ(mm, m);
  EXPECT_EQ(mi.at("a"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(mi.at("b").empty());
  EXPECT_EQ(ms.at("k"), "v");
}

TEST(ByteBuffer, TruncatedOrForeignBuffersThrowInsteadOfOverreading) {
  ByteWriter w;
  w.put(std::vector<double>(100, 1.0));
  auto bytes = w.bytes();
  bytes.resize(bytes.size() - 8);
  {
    ByteReader r(bytes);
    std::vector<double> v;
    EXPECT_THROW(r.get(v), batchrmt::IoError);
  }
  const std::vector<std::uint8_t> garbage(16, 0xff);  // an absurd length prefix
  ByteReader r(garbage);
  std::string s;
  EXPECT_THROW(r.get(s), batchrmt::IoError);
  ByteReader r2(garbage);
  Eigen::MatrixXd m;
  EXPECT_THROW(r2.get(m), batchrmt::IoError);
}

// Without mpirun the context is one rank and every collective is the identity.
TEST(MpiContext, WithoutMpirunIsOneRankAndCollectivesAreIdentities) {
  const auto& mpi = batchrmt::MpiContext::instance();
  EXPECT_EQ(mpi.size(), 1);
  EXPECT_EQ(mpi.rank(), 0);
  EXPECT_TRUE(mpi.is_writer());
  EXPECT_FALSE(mpi.active());
  std::vector<double> x{1, 2, 3}, y(3, 0.0);
  mpi.reduce_sum(x.data(), y.data(), 3);
  EXPECT_EQ(y, x);
  mpi.broadcast(x);
  EXPECT_EQ(x.size(), 3u);
  mpi.abort(1);  // inactive: returns
}
