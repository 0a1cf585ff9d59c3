// Curvature operators (docs/theory.md 5.2-5.7, 7.2 V7): closed forms, dense autograd
// Hessians, finite differences, chunking, per-sample products, V_phi, subsets, BatchNorm.
// Small models on the synthetic teacher-student set, float64 unless stated.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include "core/rng.hpp"
#include "networks/curvature.hpp"
#include "networks/torch_bridge.hpp"
#include "spectral/lanczos.hpp"

namespace nw = batchrmt::networks;

namespace {

nw::Dataset synthetic(std::size_t n, std::array<std::int64_t, 3> shape, int classes, std::uint64_t seed) {
  nw::TeacherStudentOptions o;
  o.train_size = n;
  o.test_size = 8;
  o.shape = shape;
  o.classes = classes;
  o.seed = seed;
  return nw::make_teacher_student(o, "train");
}

nw::Model model(const std::string& name, std::array<std::int64_t, 3> shape, int classes, std::uint64_t seed,
                std::vector<std::int64_t> widths = {}, std::string init = "default", int depth = 0) {
  nw::ModelSpec s;
  s.name = name;
  s.input_shape = shape;
  s.classes = classes;
  s.seed = seed;
  s.widths = std::move(widths);
  s.init = std::move(init);
  s.depth = depth;
  return nw::Model::create(s, "cpu");
}

std::vector<std::size_t> range(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  return v;
}

Eigen::MatrixXd dense(const nw::CurvatureOperator& op) {
  const auto P = op.rows();
  Eigen::MatrixXd H(P, P);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(P);
  for (Eigen::Index k = 0; k < P; ++k) {
    e.setZero();
    e(k) = 1;
    H.col(k) = op.apply(e);
  }
  return H;
}

Eigen::VectorXd random_unit(Eigen::Index n, std::uint64_t stream) {
  batchrmt::RandomStream rng(99, stream);
  Eigen::VectorXd v(n);
  rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  return v / v.norm();
}

nw::CurvatureOptions fp64(std::int64_t chunk = 512) {
  nw::CurvatureOptions o;
  o.dtype = nw::ComputeDtype::float64;
  o.chunk_size = chunk;
  return o;
}

const std::array<std::int64_t, 3> kShape{1, 4, 4};  // d = 16 features

// A float64 spectrum request on an mlp with one hidden layer of `width` (3 classes) over `n`
// synthetic samples, at the full batch and `batch_sizes`.
nw::SpectrumRequest mlp_spectrum_request(std::int64_t width, std::uint64_t model_seed, std::size_t n,
                                         std::uint64_t data_seed, std::vector<std::int64_t> batch_sizes) {
  nw::SpectrumRequest rq;
  rq.model = model("mlp", kShape, 3, model_seed, {width});
  rq.data = synthetic(n, kShape, 3, data_seed);
  rq.curvature = fp64();
  rq.batch_sizes = {nw::kFullBatch};
  rq.batch_sizes.insert(rq.batch_sizes.end(), batch_sizes.begin(), batch_sizes.end());
  return rq;
}

}  // namespace

// docs/theory.md 1.1 at w = 0: p = 1/C for every sample, so h_i = (diag p - p p^T) (x) x~ x~^T with
// x~ = (x, 1), and H = A (x) M with A = (I - 1 1^T / C) / C and M = mean x~ x~^T (weights
// row-major C x d first, then the C biases). Eigenvalues: lambda_max(M) / C (C - 1 times), 0.
TEST(Curvature, LinearAtZerosMatchesTheKroneckerClosedForm) {
  const int C = 4;
  const std::size_t N = 2000;
  const auto data = synthetic(N, kShape, C, 1);
  const auto m = model("linear", kShape, C, 0, {}, "zeros");
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), fp64(512));  // 4 chunks, the last 464
  const Eigen::Index d = 16, P = op.rows();
  ASSERT_EQ(P, d * C + C);
  std::vector<float> x(N * static_cast<std::size_t>(d));
  data.items(range(N), nw::Transform{}, x.data());
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(d + 1, d + 1);
  for (std::size_t i = 0; i < N; ++i) {
    Eigen::VectorXd xt(d + 1);
    for (Eigen::Index j = 0; j < d; ++j) xt(j) = static_cast<double>(x[i * static_cast<std::size_t>(d) + static_cast<std::size_t>(j)]);
    xt(d) = 1;
    M += xt * xt.transpose();
  }
  M /= static_cast<double>(N);
  const Eigen::MatrixXd A = (Eigen::MatrixXd::Identity(C, C) - Eigen::MatrixXd::Constant(C, C, 1.0 / C)) / C;
  Eigen::MatrixXd H(P, P);
  auto coord = [&](int c, Eigen::Index j) { return j < d ? c * d + j : d * C + c; };
  for (int c = 0; c < C; ++c)
    for (int c2 = 0; c2 < C; ++c2)
      for (Eigen::Index j = 0; j <= d; ++j)
        for (Eigen::Index j2 = 0; j2 <= d; ++j2) H(coord(c, j), coord(c2, j2)) = A(c, c2) * M(j, j2);
  const Eigen::MatrixXd Hop = dense(op);
  EXPECT_LE((Hop - H).cwiseAbs().maxCoeff(), 1e-12 * H.cwiseAbs().maxCoeff());
  // GGN = Hessian exactly for the linear model.
  EXPECT_LE((dense(op.with_kind(nw::CurvatureKind::ggn)) - Hop).cwiseAbs().maxCoeff(), 1e-13 * H.cwiseAbs().maxCoeff());

  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
  const double top = es.eigenvalues()(P - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> em(M);
  EXPECT_NEAR(top, em.eigenvalues()(d) / C, 1e-12 * top);
  batchrmt::spectral::LanczosOptions lo;
  lo.steps = 40;
  lo.seed = 3;
  const auto r = batchrmt::spectral::lanczos(op, lo);
  EXPECT_NEAR(r.ritz_values.back(), top, 1e-10 * top);
  EXPECT_LE(r.residuals.back(), 1e-8 * top);
  EXPECT_NEAR(r.ritz_values.front(), 0.0, 1e-10 * top);  // the null space (1 1^T direction)
}

// The float64 operator against the dense Hessian from autograd, row by row (docs/theory.md 7.2 V7).
TEST(Curvature, MlpOperatorMatchesTheDenseAutogradHessian) {
  const int C = 3;
  const std::size_t N = 64;
  const auto data = synthetic(N, kShape, C, 2);
  const auto m = model("mlp", kShape, C, 5, {8});
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), fp64());
  const auto P = op.rows();
  ASSERT_EQ(P, 16 * 8 + 8 + 8 * 3 + 3);
  // Reference: an independent float64 copy, gradient with its graph, then one backward per row.
  auto ref = model("mlp", kShape, C, 5, {8});
  nw::network(ref).to(torch::kDouble);
  auto params = nw::model_parameters(ref);
  const auto x = nw::make_inputs(data, range(N), nw::Transform{}, torch::kCPU).to(torch::kDouble);
  const auto y = nw::make_targets(data, range(N), torch::kCPU);
  const auto loss = torch::nn::functional::cross_entropy(nw::network(ref).forward(x), y);
  const auto g = nw::flatten(torch::autograd::grad({loss}, params, {}, true, true));
  Eigen::MatrixXd Href(P, P);
  for (Eigen::Index k = 0; k < P; ++k) {
    const auto row = nw::flatten(torch::autograd::grad({g[k]}, params, {}, true, false)).contiguous();
    for (Eigen::Index j = 0; j < P; ++j) Href(k, j) = row.data_ptr<double>()[j];
  }
  const Eigen::MatrixXd H = dense(op);
  EXPECT_LE((H - Href).norm(), 1e-10 * Href.norm());
  EXPECT_LE((H - H.transpose()).norm(), 1e-12 * H.norm());
  EXPECT_NEAR(op.loss(), loss.item<double>(), 1e-12);

  // Lanczos Ritz values vs the dense eigenvalues at both ends.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(Href);
  batchrmt::spectral::LanczosOptions lo;
  lo.steps = 80;
  const auto r = batchrmt::spectral::lanczos(op, lo);
  const double scale = es.eigenvalues().cwiseAbs().maxCoeff();
  EXPECT_NEAR(r.ritz_values.back(), es.eigenvalues()(P - 1), 1e-9 * scale);
  EXPECT_NEAR(r.ritz_values.front(), es.eigenvalues()(0), 1e-9 * scale);
}

TEST(Curvature, HvpMatchesCentralFiniteDifferencesAndIsSymmetric) {
  const auto data = synthetic(128, kShape, 3, 4);
  const auto m = model("mlp", kShape, 3, 6, {16, 8});
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(128), fp64(50));
  const Eigen::VectorXd v = random_unit(op.rows(), 1), u = random_unit(op.rows(), 2);
  // eps = eps_mach^(1/3) max(1, ||w||) (docs/theory.md 5.2): truncation and rounding both ~1e-10 relative.
  const auto w = op.weights();
  const double wn = std::sqrt(std::inner_product(w.begin(), w.end(), w.begin(), 0.0));
  const double eps = std::cbrt(2.2e-16) * std::max(1.0, wn);
  const Eigen::VectorXd fd = (op.gradient_at(eps * v) - op.gradient_at(-eps * v)) / (2 * eps);
  const Eigen::VectorXd hv = op.apply(v), hu = op.apply(u);
  EXPECT_LE((fd - hv).norm(), 1e-6 * hv.norm());
  EXPECT_NEAR(u.dot(hv), v.dot(hu), 1e-12 * (hu.norm() + hv.norm()));
  // gradient_at restores the weights: the same product afterwards (also under a caller's
  // NoGradGuard: the operator turns gradients on for itself).
  EXPECT_EQ(op.apply(v), hv);
  {
    torch::NoGradGuard ng;
    EXPECT_EQ(op.apply(v), hv);
  }
  // GGN: symmetric and PSD (Rayleigh quotients of random vectors).
  const auto G = op.with_kind(nw::CurvatureKind::ggn);
  const Eigen::VectorXd gv = G.apply(v), gu = G.apply(u);
  EXPECT_NEAR(u.dot(gv), v.dot(gu), 1e-12 * (gu.norm() + gv.norm()));
  for (std::uint64_t s = 10; s < 16; ++s) {
    const Eigen::VectorXd z = random_unit(op.rows(), s);
    EXPECT_GE(z.dot(G.apply(z)), -1e-14 * gv.norm());
  }
}

TEST(Curvature, ChunkedAccumulationEqualsOnePassAndGraphReuseChangesNothing) {
  const std::size_t N = 300;
  const auto data = synthetic(N, kShape, 3, 5);
  const auto m = model("mlp", kShape, 3, 7, {8});
  nw::CurvatureOptions one = fp64(static_cast<std::int64_t>(N));
  const nw::CurvatureOperator single(m, data, nw::Transform{}, range(N), one);
  const Eigen::VectorXd v = random_unit(single.rows(), 3);
  const Eigen::VectorXd a = single.apply(v);
  for (std::int64_t chunk : {1, 64, 77}) {
    const Eigen::VectorXd b = single.with_chunk_size(chunk).apply(v);
    EXPECT_LE((a - b).norm(), 1e-12 * a.norm()) << "chunk " << chunk;
  }
  for (auto kind : {nw::CurvatureKind::hessian, nw::CurvatureKind::ggn}) {
    nw::CurvatureOptions o = fp64(100);
    o.kind = kind;
    o.reuse = nw::GraphReuse::always;
    const nw::CurvatureOperator cached(m, data, nw::Transform{}, range(N), o);
    o.reuse = nw::GraphReuse::never;
    const nw::CurvatureOperator fresh(m, data, nw::Transform{}, range(N), o);
    const Eigen::VectorXd c1 = cached.apply(v), c2 = cached.apply(v), f1 = fresh.apply(v);
    EXPECT_EQ(c1, c2);  // reproducible bit for bit
    EXPECT_LE((c1 - f1).norm(), 1e-14 * c1.norm());
  }
}

// The data-parallel split (networks/data_parallel.hpp): the shards' products sum to the
// single-process product to float64 rounding, for any number of shards (more shards than
// chunks leaves some empty), for the Hessian and the GGN.
TEST(Curvature, ShardProductsSumToTheFullProduct) {
  const std::size_t N = 300;
  const auto data = synthetic(N, kShape, 3, 5);
  const auto m = model("mlp", kShape, 3, 7, {8});
  for (auto kind : {nw::CurvatureKind::hessian, nw::CurvatureKind::ggn}) {
    nw::CurvatureOptions o = fp64(64);  // 5 chunks, the last 44
    o.kind = kind;
    const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), o);
    const Eigen::VectorXd v = random_unit(op.rows(), 4);
    const Eigen::VectorXd full = op.apply(v);
    for (int shards : {1, 2, 3, 7}) {
      Eigen::VectorXd sum = Eigen::VectorXd::Zero(op.rows()), part(op.rows());
      int empty = 0;
      for (int r = 0; r < shards; ++r) {
        op.apply_shard(v.data(), part.data(), r, shards);
        empty += part.isZero(0.0);
        sum += part;
      }
      EXPECT_LE((sum - full).norm(), 1e-14 * full.norm()) << "shards " << shards;
      EXPECT_EQ(empty, std::max(0, shards - 5)) << "shards " << shards;
    }
    Eigen::VectorXd y(op.rows());
    EXPECT_THROW(op.apply_shard(v.data(), y.data(), 2, 2), batchrmt::InvalidInput);
  }
}

TEST(Curvature, PerSampleProductsAverageToTheBatchProduct) {
  const std::size_t N = 40;
  const auto data = synthetic(N, kShape, 3, 6);
  const auto m = model("mlp", kShape, 3, 8, {8});
  for (auto kind : {nw::CurvatureKind::hessian, nw::CurvatureKind::ggn}) {
    nw::CurvatureOptions o = fp64(16);
    o.kind = kind;
    const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), o);
    const Eigen::VectorXd v = random_unit(op.rows(), 4), w = random_unit(op.rows(), 5);
    Eigen::VectorXd sv = Eigen::VectorXd::Zero(op.rows()), sw = sv;
    op.per_sample_products(range(N), {v, w}, [&](std::size_t, std::size_t j, const Eigen::VectorXd& hv) {
      (j == 0 ? sv : sw) += hv / static_cast<double>(N);
    });
    const Eigen::VectorXd bv = op.apply(v), bw = op.apply(w);
    EXPECT_LE((sv - bv).norm(), 1e-12 * bv.norm());
    EXPECT_LE((sw - bw).norm(), 1e-12 * bw.norm());
  }
}

// u_i = h_i phi - H phi = 0 when all samples are the same item.
TEST(Curvature, VPhiOfIdenticalSamplesIsZero) {
  const std::size_t N = 30;
  std::vector<float> f(N * 16);
  std::vector<std::int64_t> labels(N, 1);
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < 16; ++j) f[i * 16 + j] = 0.1f * static_cast<float>(j) - 0.7f;
  const auto data = nw::Dataset::from_features("same", kShape, 3, f, labels);
  const auto m = model("mlp", kShape, 3, 9, {8});
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), fp64(7));
  const Eigen::VectorXd phi = random_unit(op.rows(), 6);
  const auto e = nw::estimate_noise(op, phi, {random_unit(op.rows(), 7)}, range(10));
  const double scale = op.apply(phi).squaredNorm();
  EXPECT_LE(e.v_phi, 1e-24 * scale);
  EXPECT_LE(e.w_phi, 1e-24 * scale);
  ASSERT_EQ(e.c.size(), 1u);
  EXPECT_LE(e.c[0], 1e-24 * scale);
  EXPECT_EQ(e.samples, 10u);
  EXPECT_EQ(e.population, N);
}

// docs/theory.md 1.2 / 7.2 V7: over many subsets, mean ||eps_B phi||^2 = kappa_B V_phi (exact in
// expectation; V_phi here from all N samples, so without sampling error). z-test at |z| <= 4.
TEST(Curvature, FluctuationNormMatchesKappaVPhiOverSubsets) {
  const std::size_t N = 200, B = 20;
  const int K = 300;
  const auto data = synthetic(N, kShape, 3, 7);
  const auto m = model("linear", kShape, 3, 10);
  const nw::CurvatureOperator full(m, data, nw::Transform{}, range(N), fp64());
  const Eigen::VectorXd phi = random_unit(full.rows(), 8);
  const auto e = nw::estimate_noise(full, phi, {}, range(N));
  EXPECT_EQ(e.v_phi_se, 0.0);  // the whole population: no sampling error
  std::vector<double> z;
  for (int s = 0; s < K; ++s) {
    const auto batch = full.with_indices(batchrmt::batch_indices(N, B, 11, static_cast<std::uint64_t>(s)));
    const auto eps = nw::make_fluctuation_operator(batch, full);
    Eigen::VectorXd y(full.rows());
    eps.apply(phi.data(), y.data());
    z.push_back(y.squaredNorm());
  }
  double mean = 0, sd = 0;
  for (double v : z) mean += v / K;
  for (double v : z) sd += (v - mean) * (v - mean) / (K - 1);
  sd = std::sqrt(sd);
  const double kappa = double(N - B) / (double(B) * double(N - 1));
  EXPECT_LE(std::abs(mean - kappa * e.v_phi), 4 * sd / std::sqrt(double(K))) << mean << " vs " << kappa * e.v_phi;
}

TEST(Curvature, SubsetsAndSpectraAreReproducibleFromTheSeed) {
  const auto a = batchrmt::batch_indices(500, 64, 3, 2), b = batchrmt::batch_indices(500, 64, 3, 2);
  EXPECT_EQ(a, b);
  const auto small = batchrmt::batch_indices(500, 16, 3, 2);
  EXPECT_TRUE(std::equal(small.begin(), small.end(), a.begin()));  // nested across B
  EXPECT_NE(batchrmt::batch_indices(500, 64, 3, 3), a);

  nw::SpectrumRequest rq = mlp_spectrum_request(8, 11, 200, 8, {16, 64});
  rq.curvature = fp64(64);
  rq.subsets = 2;
  rq.lanczos_steps = 25;
  rq.noise_samples = 50;
  rq.seed = 4;
  const auto r1 = nw::measure_spectrum_core(rq, nullptr);
  const auto r2 = nw::measure_spectrum_core(rq, nullptr);
  ASSERT_EQ(r1.rows.size(), 3u);
  EXPECT_TRUE(r1.rows[0].full);
  EXPECT_EQ(r1.rows[0].B, 200);
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t s = 0; s < r1.rows[k].subsets.size(); ++s) {
      EXPECT_EQ(r1.rows[k].subsets[s].top, r2.rows[k].subsets[s].top);
      EXPECT_EQ(r1.rows[k].subsets[s].bottom, r2.rows[k].subsets[s].bottom);
    }
  EXPECT_NE(r1.rows[1].subsets[0].top, r1.rows[1].subsets[1].top);
  ASSERT_TRUE(r1.noise_top.has_value());
  EXPECT_EQ(r1.noise_top->v_phi, r2.noise_top->v_phi);
  EXPECT_GT(r1.noise_top->v_phi, 0.0);
  EXPECT_GE(r1.noise_top->v_phi, r1.noise_top->w_phi);
  EXPECT_NEAR(r1.noise_top->lambda, r1.lambda_full, 1e-6 * std::abs(r1.lambda_full));
  EXPECT_LE(r1.noise_bottom->lambda, r1.noise_top->lambda);
  // Smaller batches have a larger top eigenvalue on average (the effect being measured).
  EXPECT_GT(r1.rows[1].top_mean, r1.lambda_full);
}

// docs/theory.md 5.3: eval and train BN are different operators, each reproducible; the caller's
// running buffers are untouched by a measurement; per-sample products refuse train mode.
TEST(Curvature, BatchNormEvalAndTrainDifferAndBuffersAreUntouched) {
  const std::array<std::int64_t, 3> shape{3, 8, 8};
  const auto data = synthetic(32, shape, 4, 9);
  auto m = model("preresnet", shape, 4, 12, {}, "default", 8);
  ASSERT_TRUE(m.has_batchnorm());
  std::vector<torch::Tensor> before;
  for (const auto& b : nw::network(m).buffers()) before.push_back(b.clone());
  nw::CurvatureOptions o = fp64(16);
  const nw::CurvatureOperator ev(m, data, nw::Transform{}, range(32), o);
  o.batchnorm = nw::BatchNormPolicy::train;
  const nw::CurvatureOperator tr(m, data, nw::Transform{}, range(32), o);
  const Eigen::VectorXd v = random_unit(ev.rows(), 9);
  const Eigen::VectorXd e1 = ev.apply(v), e2 = ev.apply(v), t1 = tr.apply(v), t2 = tr.apply(v);
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(t1, t2);
  EXPECT_GT((e1 - t1).norm(), 1e-3 * e1.norm());
  // Train mode depends on the chunking (BN batches); eval mode does not.
  EXPECT_GT((tr.with_chunk_size(8).apply(v) - t1).norm(), 1e-6 * t1.norm());
  EXPECT_LE((ev.with_chunk_size(8).apply(v) - e1).norm(), 1e-12 * e1.norm());
  // One chunk: the graph is kept (graph reuse) and train mode still reproduces itself.
  o.chunk_size = 32;
  const nw::CurvatureOperator kept(m, data, nw::Transform{}, range(32), o);
  const Eigen::VectorXd k1 = kept.apply(v), k2 = kept.apply(v);
  EXPECT_EQ(k1, k2);
  o.reuse = nw::GraphReuse::never;
  EXPECT_LE((nw::CurvatureOperator(m, data, nw::Transform{}, range(32), o).apply(v) - k1).norm(), 1e-13 * k1.norm());
  EXPECT_THROW(tr.per_sample_products({0}, {v}, [](std::size_t, std::size_t, const Eigen::VectorXd&) {}),
               batchrmt::InvalidInput);
  const auto after = nw::network(m).buffers();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i])) << i;
  // The BN policy is recorded.
  EXPECT_EQ(tr.conventions().at("batchnorm").rfind("train", 0), 0u);
  EXPECT_EQ(ev.conventions().at("batchnorm").rfind("eval", 0), 0u);
}

TEST(Curvature, SelfCheckPassesOnLinearAndMlp) {
  const auto data = synthetic(96, kShape, 3, 10);
  for (const auto& name : {"linear", "mlp"}) {
    const auto m = model(name, kShape, 3, 13, name == std::string("mlp") ? std::vector<std::int64_t>{8} : std::vector<std::int64_t>{});
    const nw::CurvatureOperator op(m, data, nw::Transform{}, range(96), fp64(40));
    const auto rep = nw::curvature_self_check(op, 1);
    for (const auto& i : rep.items) EXPECT_TRUE(i.passed) << name << " " << i.name << " " << i.value << " " << i.detail;
    EXPECT_EQ(rep.items.size(), name == std::string("linear") ? 7u : 6u);
  }
}

TEST(Curvature, Float32OperatorAgreesWithFloat64ToSinglePrecision) {
  const auto data = synthetic(64, kShape, 3, 11);
  const auto m = model("mlp", kShape, 3, 14, {8});
  nw::CurvatureOptions o = fp64();
  const nw::CurvatureOperator d(m, data, nw::Transform{}, range(64), o);
  o.dtype = nw::ComputeDtype::float32;
  const nw::CurvatureOperator s(m, data, nw::Transform{}, range(64), o);
  const Eigen::VectorXd v = random_unit(d.rows(), 12);
  EXPECT_LE((d.apply(v) - s.apply(v)).norm(), 1e-5 * d.apply(v).norm());
  EXPECT_EQ(s.conventions().at("dtype").rfind("float32", 0), 0u);
}

TEST(Curvature, LayerRestrictionSelectsTheNamedParameters) {
  const auto data = synthetic(32, kShape, 3, 12);
  const auto m = model("mlp", kShape, 3, 15, {8});
  const auto names = m.parameters();
  nw::CurvatureOptions o = fp64();
  const nw::CurvatureOperator all(m, data, nw::Transform{}, range(32), o);
  o.layers = {names.back().name};  // the last bias
  const nw::CurvatureOperator last(m, data, nw::Transform{}, range(32), o);
  ASSERT_EQ(last.rows(), names.back().numel);
  // Its Hessian is the trailing diagonal block of the full one.
  const Eigen::MatrixXd H = dense(all), h = dense(last);
  const auto k = last.rows();
  EXPECT_LE((H.bottomRightCorner(k, k) - h).norm(), 1e-13 * H.norm());
  o.layers = {"no-such-layer"};
  EXPECT_THROW(nw::CurvatureOperator(m, data, nw::Transform{}, range(32), o), batchrmt::InvalidInput);
}

// docs/theory.md 5.8: lambda_max(H_B) <= lambda_max(H_full) + lambda_max(eps_B) per subset (Weyl),
// here with converged Ritz values (P = 51, 60 steps: exact up to rounding).
TEST(Curvature, FluctuationSpectrumObeysTheWeylBoundPerSubset) {
  nw::SpectrumRequest rq = mlp_spectrum_request(3, 16, 150, 13, {10});
  rq.subsets = 4;
  rq.lanczos_steps = 70;
  rq.fluctuation_steps = 70;
  const auto r = nw::measure_spectrum_core(rq, nullptr);
  ASSERT_EQ(r.P, 16 * 3 + 3 + 3 * 3 + 3);
  const auto& row = r.rows[1];
  for (const auto& m : row.subsets) {
    EXPECT_TRUE(std::isfinite(m.eps_top));
    EXPECT_GE(m.weyl_slack, -1e-10 * std::abs(r.lambda_full));
    EXPECT_LE(m.top, r.lambda_full + m.eps_top + 1e-10 * std::abs(r.lambda_full));
    EXPECT_LT(m.eps_bottom, 0.0);  // eps_B has mean zero: both signs
    EXPECT_GT(m.eps_top, 0.0);
  }
  EXPECT_TRUE(std::isfinite(row.weyl_min_slack));
  EXPECT_TRUE(std::isnan(r.rows[0].eps_top_mean));
}

// Resume unit by unit: complete units are read back, a missing one is recomputed to the same
// numbers (every run is deterministic given the seed), including the noise unit when the full
// unit was stored without its vectors (the full Lanczos run is then repeated).
TEST(Curvature, MeasurementResumesUnitByUnit) {
  struct MemorySink : nw::SpectrumSink {
    std::map<std::string, batchrmt::RecordValues> units;
    int loads = 0, saves = 0;
    std::optional<batchrmt::RecordValues> load(const std::string& u, const batchrmt::RecordValues&) override {
      const auto it = units.find(u);
      if (it == units.end()) return std::nullopt;
      ++loads;
      return it->second;
    }
    void save(const std::string& u, const batchrmt::RecordValues& d) override {
      ++saves;
      units[u] = d;
    }
  };
  nw::SpectrumRequest rq = mlp_spectrum_request(4, 17, 120, 14, {12});
  rq.subsets = 3;
  rq.lanczos_steps = 20;
  rq.noise_samples = 30;
  rq.store_vectors = false;
  MemorySink sink;
  const auto a = nw::measure_spectrum_core(rq, &sink);
  EXPECT_EQ(sink.saves, 5);  // full, noise, 3 subsets
  EXPECT_EQ(sink.units.count("/spectrum/B=12/subset=2"), 1u);
  for (const auto& field : sink.units.at("/spectrum/full"))
    if (field.spec.name == "spike_vectors") {
      EXPECT_FALSE(field.value.has_value());
    }
  sink.units.erase("/spectrum/B=12/subset=1");
  sink.units.erase("/spectrum/noise");
  const auto b = nw::measure_spectrum_core(rq, &sink);
  EXPECT_EQ(sink.saves, 7);
  EXPECT_EQ(sink.loads, 3);  // full, subsets 0 and 2
  for (std::size_t s = 0; s < 3; ++s) EXPECT_EQ(a.rows[1].subsets[s].top, b.rows[1].subsets[s].top);
  EXPECT_EQ(a.noise_top->v_phi, b.noise_top->v_phi);
  EXPECT_EQ(a.noise_top->indices, b.noise_top->indices);
  EXPECT_EQ(a.lambda_full, b.lambda_full);
}

// The float64 interface casts x into a buffer kept by the operator (float64 on the CPU:
// x is wrapped, not copied) and writes the products straight into y. A reused buffer must give
// the products of a fresh operator, in any order, with y aliasing x, and for the gradient.
TEST(Curvature, ReusedInterfaceBuffersGiveTheProductsOfAFreshOperator) {
  const std::size_t N = 90;
  const auto data = synthetic(N, kShape, 3, 21);
  const auto m = model("mlp", kShape, 3, 22, {8});
  for (auto dtype : {nw::ComputeDtype::float64, nw::ComputeDtype::float32})
    for (auto kind : {nw::CurvatureKind::hessian, nw::CurvatureKind::ggn})
      for (std::int64_t chunk : {static_cast<std::int64_t>(N), std::int64_t{40}})
        for (auto reuse : {nw::GraphReuse::always, nw::GraphReuse::never}) {
          nw::CurvatureOptions o = fp64(chunk);
          o.dtype = dtype;
          o.kind = kind;
          o.reuse = reuse;
          const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), o);
          const Eigen::VectorXd v1 = random_unit(op.rows(), 31), v2 = random_unit(op.rows(), 32);
          const Eigen::VectorXd a1 = op.apply(v1), a2 = op.apply(v2), a1again = op.apply(v1);
          const nw::CurvatureOperator fresh1(m, data, nw::Transform{}, range(N), o);
          const nw::CurvatureOperator fresh2(m, data, nw::Transform{}, range(N), o);
          const Eigen::VectorXd f1 = fresh1.apply(v1), f2 = fresh2.apply(v2);
          const std::string what = nw::to_string(dtype) + " " + nw::to_string(kind) + " chunk " +
                                   std::to_string(chunk) + " " + nw::to_string(reuse);
          EXPECT_GT(a1.norm(), 0) << what;
          EXPECT_LE((a1 - f1).norm(), 1e-12 * f1.norm()) << what;
          EXPECT_LE((a2 - f2).norm(), 1e-12 * f2.norm()) << what;
          EXPECT_LE((a1again - f1).norm(), 1e-12 * f1.norm()) << what;
          Eigen::VectorXd inplace = v2;  // y aliasing x
          op.apply(inplace.data(), inplace.data());
          EXPECT_LE((inplace - f2).norm(), 1e-12 * f2.norm()) << what;
          // The gradient into caller memory equals the allocating form and a fresh operator's.
          Eigen::VectorXd g(op.rows());
          g.setConstant(7.0);  // stale contents must be overwritten, not accumulated into
          op.gradient(g.data());
          const Eigen::VectorXd gf = fresh1.gradient();
          EXPECT_GT(gf.norm(), 0) << what;
          EXPECT_LE((g - gf).norm(), 1e-12 * gf.norm()) << what;
          EXPECT_LE((op.gradient() - gf).norm(), 1e-12 * gf.norm()) << what;
        }
}

// The product is written into y (not accumulated into it): whatever y held (NaN here) is gone.
TEST(Curvature, ProductsOverwriteTheCallersBuffer) {
  const auto data = synthetic(32, kShape, 3, 41);
  const auto m = model("linear", kShape, 3, 42);
  nw::CurvatureOptions o = fp64();
  o.kind = nw::CurvatureKind::ggn;  // linear model: G = H, and the bias has a nonzero block
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(32), o);
  Eigen::VectorXd y(op.rows());
  y.setConstant(std::nan(""));
  const Eigen::VectorXd v = random_unit(op.rows(), 43);
  op.apply(v.data(), y.data());
  EXPECT_TRUE(y.allFinite());
  EXPECT_LE((y - op.with_kind(nw::CurvatureKind::hessian).apply(v)).norm(), 1e-12 * y.norm());
}
