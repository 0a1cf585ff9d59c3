// Hachem-Loubaton-Najim Gram-profile equations (docs/theory.md §2.6 Profiles): flat profiles give
// Marchenko-Pastur (§2.2), and a block profile agrees with the hermitised QVE (§2.5).
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/gram_profile.hpp"
#include "theory/marchenko_pastur.hpp"
#include "theory/qve.hpp"

using namespace batchrmt::theory;

namespace {
Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd x(v.size());
  int i = 0;
  for (double d : v) x(i++) = d;
  return x;
}
}  // namespace

TEST(GramProfile, FlatProfileIsMarchenkoPasturOffTheAxis) {
  // one block each (n = 200, m = 800 or n = 900, m = 300) and a full 30 x 60 profile
  struct Case {
    GramProfile p;
    double sigma2;
  };
  const Case cases[] = {{GramProfile::block(vec({200}), vec({800}), Eigen::MatrixXd::Constant(1, 1, 1.0)), 1.0},
                        {GramProfile::block(vec({900}), vec({300}), Eigen::MatrixXd::Constant(1, 1, 2.0)), 2.0},
                        {GramProfile::full(Eigen::MatrixXd::Ones(30, 60)), 1.0}};
  for (const auto& c : cases) {
    GramProfileSolver solver(c.p);
    const MarchenkoPastur mp(c.p.gamma(), c.sigma2);
    for (double x : {-1.0, 0.1, 0.5, 1.0, 2.0, 4.0, 9.0})
      for (double eta : {1e-4, 1e-2, 0.3, 3.0}) {
        const GramSolution s = solver.solve({x, eta});
        EXPECT_LT(std::abs(s.stieltjes - mp.stieltjes({x, eta})), 1e-10) << c.p.gamma() << " " << x << " " << eta;
        EXPECT_LE(s.residual, 1e-12);
        // Y^T Y has ratio 1/gamma: m~ = gamma m + (gamma - 1)/z
        const std::complex<double> z(x, eta);
        EXPECT_LT(std::abs(s.stieltjes_tilde - (c.p.gamma() * s.stieltjes + (c.p.gamma() - 1.0) / z)), 1e-10);
      }
  }
}

TEST(GramProfile, FlatProfileDensityOnTheAxis) {
  GramProfileSolver solver(GramProfile::block(vec({200}), vec({800}), Eigen::MatrixXd::Constant(1, 1, 1.0)));
  const MarchenkoPastur mp(0.25);
  for (double x : {0.3, 0.6, 1.0, 1.5, 2.0}) EXPECT_NEAR(solver.density(x), mp.density(x), 1e-9) << x;
  EXPECT_NEAR(solver.density(2.3), 0.0, 1e-9);  // above lambda_+ = 2.25
  EXPECT_EQ(solver.density(-0.5), 0.0);
}

TEST(GramProfile, BlockProfileAgreesWithTheHermitisedQve) {
  // H = [[0, Y], [Y^T, 0]]: QVE blocks (rows n_a, columns m_b), s = [[0, sigma2/m], [sigma2^T/m, 0]];
  // psi_a(zeta^2) = m_a(zeta) / zeta.
  const Eigen::VectorXd n = vec({100, 300}), mcols = vec({200, 150, 250});
  Eigen::MatrixXd s2(2, 3);
  s2 << 1.0, 0.3, 2.0, 0.5, 1.5, 0.2;
  GramProfileSolver gram(GramProfile::block(n, mcols, s2));
  const double m = mcols.sum();
  Eigen::VectorXd sizes(5);
  sizes << n, mcols;
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(5, 5);
  s.topRightCorner(2, 3) = s2 / m;
  s.bottomLeftCorner(3, 2) = s2.transpose() / m;
  QveSolver qve(QveProfile::block(sizes, s));
  for (std::complex<double> zeta : {std::complex<double>(1.1, 0.3), {0.4, 0.05}, {2.0, 1e-3}}) {
    const auto g = gram.solve(zeta * zeta);
    const auto q = qve.solve(zeta);
    for (int a = 0; a < 2; ++a) EXPECT_LT(std::abs(g.psi(a) - q.m(a) / zeta), 1e-10) << zeta;
    for (int b = 0; b < 3; ++b) EXPECT_LT(std::abs(g.psi_tilde(b) - q.m(2 + b) / zeta), 1e-10) << zeta;
    EXPECT_GT(g.fixed_point_iterations, 0);
  }
}

TEST(GramProfile, BadInputIsRejected) {
  EXPECT_THROW(GramProfile::block(vec({1}), vec({1, 1}), Eigen::MatrixXd::Ones(1, 3)), batchrmt::InvalidInput);
  EXPECT_THROW(GramProfile::block(vec({1}), vec({1}), -Eigen::MatrixXd::Ones(1, 1)), batchrmt::InvalidInput);
  EXPECT_THROW(GramProfile::block(vec({0}), vec({1}), Eigen::MatrixXd::Ones(1, 1)), batchrmt::InvalidInput);
  EXPECT_THROW(GramProfile::full(Eigen::MatrixXd::Zero(2, 2)), batchrmt::InvalidInput);
  GramProfileSolver solver(GramProfile::full(Eigen::MatrixXd::Ones(2, 3)));
  EXPECT_THROW(solver.solve({1.0, 0.0}), batchrmt::InvalidInput);
}
