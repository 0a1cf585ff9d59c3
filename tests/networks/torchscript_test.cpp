// TorchScript models (`--model torchscript:FILE.pt`; networks/torchscript_model.cpp) on files that
// PyTorch wrote: scripts/export_torchscript_examples.py, run with Debian's /usr/bin/python3 (its
// python3-torch matches the LibTorch batchrmt links). Without a working python3-torch these
// tests fail: scripts/install-deps.sh installs it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <Eigen/Eigenvalues>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <torch/script.h>

#include "networks/curvature.hpp"
#include "outputs/store.hpp"
#include "networks/torch_bridge.hpp"
#include "spectral/lanczos.hpp"
#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

namespace nw = batchrmt::networks;
using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
using batchrmt::testing::ScratchDir;

namespace {

constexpr std::uint64_t kLenetSeed = 3;

nw::ModelSpec spec_of(const std::string& name) {  // 1 x 28 x 28 inputs, 10 classes: the defaults
  nw::ModelSpec s;
  s.name = name;
  s.seed = kLenetSeed;
  return s;
}

// The exported files, written once per test process: lenet.pt holds the weights of batchrmt's
// lenet with seed kLenetSeed.
struct Exports {
  ScratchDir dir{"torchscript"};
  int exit_code = -1;
  std::string log;
  std::string operator/(const std::string& name) const { return dir / name; }
};

const Exports& exports() {
  static Exports e = [] {
    Exports x;
    const auto w = nw::Model::create(spec_of("lenet")).flat_parameters();
    std::ofstream(x / "lenet.f64", std::ios::binary)
        .write(reinterpret_cast<const char*>(w.data()), static_cast<std::streamsize>(w.size() * sizeof(double)));
    const std::string cmd = "/usr/bin/python3 " + std::string(BATCHRMT_SOURCE_DIR) + "/scripts/export_torchscript_examples.py " +
                            x.dir.path.string() + " --lenet-weights " + (x / "lenet.f64") + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[512];
    while (p && std::fgets(buf, sizeof buf, p)) x.log += buf;
    x.exit_code = p ? WEXITSTATUS(::pclose(p)) : -1;
    return x;
  }();
  return e;
}

#define REQUIRE_EXPORTS()                                                                                  \
  ASSERT_EQ(exports().exit_code, 0) << "scripts/export_torchscript_examples.py failed (python3-torch is " \
                                       "installed by scripts/install-deps.sh):\n" << exports().log

nw::Model script_model(const std::string& file) { return nw::Model::create(spec_of("torchscript:" + (exports() / file))); }

nw::Dataset synthetic(std::size_t n, std::uint64_t seed) {  // 1 x 28 x 28, 10 classes: the defaults
  nw::TeacherStudentOptions o;
  o.train_size = n;
  o.seed = seed;
  return nw::make_teacher_student(o, "train");
}

std::vector<std::size_t> range(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  return v;
}

nw::CurvatureOptions fp64() {
  nw::CurvatureOptions o;
  o.dtype = nw::ComputeDtype::float64;
  return o;
}

// A unit vector with entries sin(k (i + 1)), no direction the tests favour.
Eigen::VectorXd unit_vector(Eigen::Index n, double k) {
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(n, k, k * static_cast<double>(n)).array().sin();
  return v / v.norm();
}

double top_ritz(const nw::CurvatureOperator& op, std::size_t steps) {
  batchrmt::spectral::LanczosOptions lo;
  lo.steps = steps;
  return batchrmt::spectral::lanczos(op, lo).ritz_values.back();
}

double relative(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace

// Same architecture, same weights: the built-in lenet and its PyTorch export are one function.
TEST(TorchScript, LenetExportAgreesWithTheBuiltInLenetInFloat64) {
  REQUIRE_EXPORTS();
  const auto builtin = nw::Model::create(spec_of("lenet"));
  const auto script = script_model("lenet.pt");
  ASSERT_EQ(script.parameter_count(), builtin.parameter_count());
  const auto pb = builtin.parameters(), ps = script.parameters();
  for (std::size_t i = 0; i < pb.size(); ++i) {
    EXPECT_EQ(ps[i].name, pb[i].name);
    EXPECT_EQ(ps[i].shape, pb[i].shape);
  }
  EXPECT_EQ(script.flat_parameters(), builtin.flat_parameters());
  const auto data = synthetic(64, 5);
  const nw::CurvatureOperator ob(builtin, data, nw::Transform{}, range(64), fp64());
  const nw::CurvatureOperator os(script, data, nw::Transform{}, range(64), fp64());
  EXPECT_LE(relative(os.loss(), ob.loss()), 1e-10);
  const Eigen::VectorXd gb = ob.gradient(), gs = os.gradient();
  EXPECT_LE((gs - gb).norm(), 1e-10 * gb.norm());
  const Eigen::VectorXd v = unit_vector(ob.rows(), 1.0);
  const Eigen::VectorXd hb = ob.apply(v), hs = os.apply(v);
  EXPECT_LE((hs - hb).norm(), 1e-10 * hb.norm());
  EXPECT_LE(relative(top_ritz(os, 30), top_ritz(ob, 30)), 1e-10);
}

// The registered tensors are the module's own: new flat parameters and a float64 conversion
// reach the TorchScript forward.
TEST(TorchScript, RegisteredParametersAliasTheModule) {
  REQUIRE_EXPORTS();
  auto builtin = nw::Model::create(spec_of("lenet"));
  auto script = script_model("lenet.pt");
  std::vector<double> w = builtin.flat_parameters();
  for (std::size_t i = 0; i < w.size(); ++i) w[i] *= 1.0 + 0.25 * std::sin(static_cast<double>(i));
  builtin.set_flat_parameters(w);
  script.set_flat_parameters(w);
  builtin.set_training(false);
  script.set_training(false);
  std::vector<float> x(2 * 28 * 28);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.01 * static_cast<double>(i)));
  EXPECT_EQ(script.forward(x, 2), builtin.forward(x, 2));
  nw::network(script).to(torch::kDouble);
  nw::network(builtin).to(torch::kDouble);
  const auto xd = torch::from_blob(x.data(), {2, 1, 28, 28}, torch::kFloat).to(torch::kDouble);
  torch::NoGradGuard g;
  const auto ys = nw::network(script).forward(xd), yb = nw::network(builtin).forward(xd);
  EXPECT_EQ(ys.scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::allclose(ys, yb, 1e-13, 0));
}

// A module batchrmt never saw (traced, with a top-level parameter and a frozen one): Lanczos on
// its Hessian against the dense autograd Hessian of the module loaded here independently.
TEST(TorchScript, ResidualMlpTopEigenvalueMatchesTheDenseAutogradHessian) {
  REQUIRE_EXPORTS();
  const auto m = script_model("residual_mlp.pt");
  const auto infos = m.parameters();
  ASSERT_EQ(m.parameter_count(), 1 + 16 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10);  // input_scale is frozen
  EXPECT_EQ(infos.front().name, "skip");
  EXPECT_EQ(infos[1].name, "inp.weight");
  const std::size_t N = 48;
  const auto data = synthetic(N, 7);
  const nw::CurvatureOperator op(m, data, nw::Transform{}, range(N), fp64());
  const auto P = op.rows();

  auto ref = torch::jit::load(exports() / "residual_mlp.pt");
  ref.to(torch::kDouble);
  std::vector<torch::Tensor> params;
  for (const auto& p : ref.named_parameters())
    if (p.value.requires_grad()) params.push_back(p.value);
  const auto x = nw::make_inputs(data, range(N), nw::Transform{}, torch::kCPU).to(torch::kDouble);
  const auto y = nw::make_targets(data, range(N), torch::kCPU);
  const auto loss = torch::nn::functional::cross_entropy(ref.forward({x}).toTensor(), y);
  const auto g = nw::flatten(torch::autograd::grad({loss}, params, {}, true, true));
  ASSERT_EQ(g.numel(), P);
  Eigen::MatrixXd H(P, P);
  for (Eigen::Index k = 0; k < P; ++k) {
    const auto row = nw::flatten(torch::autograd::grad({g[k]}, params, {}, true, false)).contiguous();
    for (Eigen::Index j = 0; j < P; ++j) H(k, j) = row.data_ptr<double>()[j];
  }
  EXPECT_NEAR(op.loss(), loss.item<double>(), 1e-12);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (H + H.transpose()));
  const double top = es.eigenvalues()(P - 1);
  ASSERT_GT(top, 0);
  EXPECT_LE(relative(top_ritz(op, 120), top), 1e-9) << "dense top " << top;
}

// The --batchnorm policy, not the export's mode (train), decides the module's mode; running
// statistics are recomputed as the cumulative average and restored by the guard.
TEST(TorchScript, BatchNormFollowsThePolicyAndItsStatisticsCanBeRecomputed) {
  REQUIRE_EXPORTS();
  auto m = script_model("bn_mlp.pt");
  ASSERT_TRUE(m.has_batchnorm());
  const auto data = synthetic(64, 9);
  const auto all = range(64);
  auto ev_options = fp64();
  const nw::CurvatureOperator ev(m, data, nw::Transform{}, all, ev_options);
  auto tr_options = ev_options;
  tr_options.batchnorm = nw::BatchNormPolicy::train;
  const nw::CurvatureOperator tr(m, data, nw::Transform{}, all, tr_options);
  const Eigen::VectorXd v = unit_vector(ev.rows(), 0.7);
  const Eigen::VectorXd e1 = ev.apply(v), t1 = tr.apply(v);
  EXPECT_GT((e1 - t1).norm(), 1e-3 * e1.norm());
  EXPECT_EQ(tr.apply(v), t1);
  EXPECT_THROW(tr.per_sample_products({0}, {v}, [](std::size_t, std::size_t, const Eigen::VectorXd&) {}),
               batchrmt::InvalidInput);

  // Eval policy: the output of the module in eval mode, whatever mode it was saved in.
  auto saved = torch::jit::load(exports() / "bn_mlp.pt");
  ASSERT_TRUE(saved.is_training());
  saved.eval();
  m.set_training(false);
  std::vector<float> x(4 * 28 * 28);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  const auto xs = torch::from_blob(x.data(), {4, 1, 28, 28}, torch::kFloat);
  const auto expect = saved.forward({xs}).toTensor().contiguous();
  const auto got = m.forward(x, 4);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expect.data_ptr<float>()[i]) << i;

  // Recomputed running mean = the average over batches of 16 of fc1's batch means.
  const auto buffers = nw::network(m).buffers();
  std::vector<torch::Tensor> before;
  for (const auto& b : buffers) before.push_back(b.clone());
  {
    nw::BatchNormBufferGuard guard(m);
    m.set_training(true);
    torch::NoGradGuard g;
    nw::network(m).forward(nw::make_inputs(data, range(16), nw::Transform{}, torch::kCPU));
  }
  for (std::size_t i = 0; i < buffers.size(); ++i) EXPECT_TRUE(torch::equal(buffers[i], before[i])) << i;
  nw::recompute_batchnorm_statistics(m, data, nw::Transform{}, 16);
  const auto params = nw::model_parameters(m);  // fc1.weight, fc1.bias first
  torch::Tensor mean_sum = torch::zeros({32});
  for (std::size_t b = 0; b < 64; b += 16) {
    std::vector<std::size_t> idx(16);
    std::iota(idx.begin(), idx.end(), b);
    const auto z = torch::addmm(params[1], nw::make_inputs(data, idx, nw::Transform{}, torch::kCPU).flatten(1), params[0].t());
    mean_sum += z.mean(0).detach();
  }
  const auto running_mean = nw::network(m).named_buffers()["bn_running_mean"];
  EXPECT_TRUE(torch::allclose(running_mean, mean_sum / 4, 1e-5, 1e-6)) << running_mean << mean_sum / 4;
}

// ---------------------------------------------------------------- the CLI

namespace {

// spectrum --json of the lenet export and of the built-in lenet (same weights) with the same
// options `common` (ending in --out), each into its own file of `d`.
std::pair<nlohmann::json, nlohmann::json> export_and_builtin_spectra(const ScratchDir& d, const std::string& common) {
  const auto s = run_cli("spectrum --model torchscript:" + (exports() / "lenet.pt") + common + (d / "s.h5"));
  const auto b = run_cli("spectrum --model lenet" + common + (d / "b.h5"));
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  if (s.exit_code != 0 || b.exit_code != 0) return {};
  return {nlohmann::json::parse(s.out), nlohmann::json::parse(b.out)};
}

void expect_same_keys(const nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& [key, value] : b.items()) EXPECT_TRUE(a.contains(key)) << key;
  for (const auto& [key, value] : a.items()) EXPECT_TRUE(b.contains(key)) << key;
}

// D.h5 in `d`: 96 inputs of 1 x 28 x 28 and labels of 10 classes drawn with `seed`, written by h5py.
bool write_array_file(const ScratchDir& d, int seed = 7) {
  std::ofstream(d / "make.py") << "import h5py, numpy as np\n"
                                  "rng = np.random.default_rng(" << seed << ")\n"
                                  "with h5py.File('" << (d / "D.h5") << "', 'w') as f:\n"
                                  "    f['x'] = rng.standard_normal((96, 1, 28, 28)).astype('f4')\n"
                                  "    f['y'] = rng.integers(0, 10, 96)\n"
                                  "    f['y'].attrs['classes'] = 10\n";
  return std::system(("/usr/bin/python3 " + (d / "make.py")).c_str()) == 0;
}

}  // namespace

// A user's model on a user's arrays: the export on an HDF5 file of 1 x 28 x 28 inputs, against the
// built-in lenet on the same file (same weights: the same numbers and the same JSON keys).
TEST(TorchScriptCli, SpectrumOfTheExportOnAnArrayFileMatchesTheBuiltInLenet) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_arrays");
  ASSERT_TRUE(write_array_file(d));
  const std::string common = " --dataset arrays --data " + (d / "D.h5") +
                             " --batch-sizes 16,full --subsets 2 --lanczos-steps 8 --noise-samples 16 --seed " +
                             std::to_string(kLenetSeed) + " --threads 2 --quiet --json --out ";
  const auto [js, jb] = export_and_builtin_spectra(d, common);
  ASSERT_FALSE(js.is_null());
  expect_same_keys(js, jb);
  EXPECT_EQ(js["N"], 96);
  EXPECT_LE(relative(js["lambda_full"].get<double>(), jb["lambda_full"].get<double>()), 1e-9);
  const auto bad = run_cli("spectrum --model lenet --dataset arrays --data " + (d / "missing.h5") + " --quiet --out " +
                           (d / "x.h5"));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
}

// advise on the export and an array file equals advise on the built-in lenet with the same
// weights; a C5 case of a config table runs on the same export and file.
TEST(TorchScriptCli, AdviseAndAC5CaseRunOnTheExportAndAnArrayFile) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_advise");
  ASSERT_TRUE(write_array_file(d));
  const std::string common = " --dataset arrays --data " + (d / "D.h5") +
                             " --batch-sizes 8,32 --subsets 2 --lanczos-steps 8 --full-lanczos-steps 10 --noise-samples 16 "
                             "--gradient-samples 16 --seed " + std::to_string(kLenetSeed) + " --threads 2 --quiet --json --out ";
  const auto s = run_cli("advise --model torchscript:" + (exports() / "lenet.pt") + common + (d / "s.h5"));
  const auto b = run_cli("advise --model lenet" + common + (d / "b.h5"));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto js = nlohmann::json::parse(s.out), jb = nlohmann::json::parse(b.out);
  expect_same_keys(js, jb);
  for (const char* k : {"lambda_full", "v_phi", "b_simple", "trace_sigma"})
    EXPECT_LE(relative(js[k].get<double>(), jb[k].get<double>()), 1e-9) << k;
  EXPECT_LE(relative(js["rows"][1]["sgd_lr"].get<double>(), jb["rows"][1]["sgd_lr"].get<double>()), 1e-9);

  const std::string table = "[c5]\ncases = [\"user\"]\n[c5.user]\nmodel = \"torchscript:" + (exports() / "lenet.pt") +
                            "\"\ndataset = \"arrays\"\ndata = \"" + (d / "D.h5") +
                            "\"\nnormalize = \"none\"\ntrain_subset = 0\ntest_subset = 0\nepochs = 0\n"
                            "batch_sizes = [8, 32, 0]\nsubsets = 3\nlanczos_steps = 8\nfull_lanczos_steps = 10\nnoise_samples = 32\n";
  std::ofstream(d / "c5.toml") << table;
  const auto c5 = run_cli("--json --threads 2 verify claim C5 --config " + (d / "c5.toml"));
  ASSERT_EQ(c5.exit_code, 0) << c5.err;
  const auto claim = nlohmann::json::parse(c5.out)["claims"][0];
  EXPECT_EQ(claim["id"], "C5");
  EXPECT_NE(claim["verdict"], "not measured") << claim.dump();
  std::string missing = table;
  missing.replace(missing.find("data = "), missing.find('\n', missing.find("data = ")) - missing.find("data = "), "data = \"\"");
  std::ofstream(d / "c5-missing.toml") << missing;
  const auto bad = run_cli("verify claim C5 --config " + (d / "c5-missing.toml"));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("c5.user.data"), std::string::npos) << bad.err;
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
}

TEST(TorchScriptCli, SpectrumOfTheExportEqualsTheBuiltInLenetsWithTheSameKeys) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_spectrum");
  const std::string common = " --dataset synthetic --synthetic-train 128 --batch-sizes full,16 --subsets 2 --lanczos-steps 8 "
                             "--noise-samples 16 --seed 3 --threads 2 --quiet --json --out ";
  const auto [js, jb] = export_and_builtin_spectra(d, common);
  ASSERT_FALSE(js.is_null());
  expect_same_keys(js, jb);
  expect_same_keys(js["rows"][1], jb["rows"][1]);
  EXPECT_NE(js["model"].get<std::string>().find("torchscript file="), std::string::npos) << js["model"];
  EXPECT_LE(relative(js["lambda_full"].get<double>(), jb["lambda_full"].get<double>()), 1e-9);
  EXPECT_LE(relative(js["v_phi"].get<double>(), jb["v_phi"].get<double>()), 1e-9);
}

TEST(TorchScriptCli, LrSweepTrainLearnAndBenchRunOnExports) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_commands");
  const std::string residual = " --model torchscript:" + (exports() / "residual_mlp.pt");
  const std::string data = " --dataset synthetic --synthetic-train 256 --json --threads 2";
  const auto sweep = run_cli("lr-sweep --quiet" + residual + data + " --batch-sizes 16,64 --steps 10 --seeds 1 --bisections 1 "
                             "--subsets 2 --lanczos-steps 8 --full-lanczos-steps 12 --monitor-size 64 --out " + (d / "lr.h5"));
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const auto js = nlohmann::json::parse(sweep.out);
  ASSERT_EQ(js["rows"].size(), 2u);
  EXPECT_EQ(js["P"], 299);
  EXPECT_TRUE(js["rows"][0]["predicted"].is_number());

  const std::string bn = " --model torchscript:" + (exports() / "bn_mlp.pt");
  const auto train = run_cli("train --quiet" + bn + data + " --synthetic-test 64 --epochs 1 --batch-size 32 --out " + (d / "run.h5"));
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_EQ(nlohmann::json::parse(train.out)["status"], "complete");
  const auto from_checkpoint = run_cli("spectrum --checkpoint " + (d / "run.h5") + " --epoch 1 --batch-sizes full "
                                       "--lanczos-steps 8 --quiet --json --out " + (d / "s.h5"));
  ASSERT_EQ(from_checkpoint.exit_code, 0) << from_checkpoint.err;
  EXPECT_EQ(nlohmann::json::parse(from_checkpoint.out)["N"], 256);

  const auto learn = run_cli("learn" + bn + data + " --synthetic-test 64 --epochs 1 --batch-size 64 --curvature-batch 32 "
                             "--curvature-steps 6 --out " + (d / "learn.h5"));
  ASSERT_EQ(learn.exit_code, 0) << learn.err;
  const auto bench = run_cli("--json bench curvature" + residual + " --classes 10 --channels 1 --side 28 --batch 16 "
                             "--dtype float64 --lanczos-steps 4 --repeats 1");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_EQ(nlohmann::json::parse(bench.out)["parameters"], 299);
}

// A checkpoint records the file's fingerprint: measuring it after the file changed is refused.
TEST(TorchScriptCli, AChangedFileIsRefusedWhereARunRecordedIt) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_changed");
  std::filesystem::copy_file(exports() / "residual_mlp.pt", d / "model.pt");
  const auto train = run_cli("train --model torchscript:" + (d / "model.pt") + " --dataset synthetic --synthetic-train 64 "
                             "--synthetic-test 16 --epochs 1 --batch-size 32 --quiet --json --out " + (d / "run.h5"));
  ASSERT_EQ(train.exit_code, 0) << train.err;
  std::filesystem::copy_file(exports() / "lenet.pt", d / "model.pt", std::filesystem::copy_options::overwrite_existing);
  const auto r = run_cli("spectrum --checkpoint " + (d / "run.h5") + " --epoch 1 --batch-sizes full --lanczos-steps 4 "
                         "--quiet --out " + (d / "s.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("has changed"), std::string::npos) << r.err;
}

// The array file of a run is recorded with its content, and a resume on a changed file is refused.
TEST(TorchScriptCli, AChangedArrayFileIsRefusedOnResume) {
  ScratchDir d("arrays_changed");
  ASSERT_TRUE(write_array_file(d));
  const std::string args = "train --model linear --dataset arrays --data " + (d / "D.h5") +
                           " --epochs 1 --batch-size 32 --quiet --json --out " + (d / "run.h5");
  const auto train = run_cli(args);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto unit = batchrmt::outputs::Reader::open(d / "run.h5").root().group("train");
  EXPECT_EQ(std::get<std::string>(*unit.attribute("data_file")), std::filesystem::absolute(d / "D.h5").string());
  EXPECT_EQ(std::get<std::string>(*unit.attribute("data_file_fingerprint")).size(), 16u);
  const std::string advise = "advise --model linear --dataset arrays --data " + (d / "D.h5") +
                             " --batch-sizes 8 --subsets 2 --lanczos-steps 4 --full-lanczos-steps 4 --noise-samples 8 "
                             "--gradient-samples 8 --quiet --out " + (d / "a.h5");
  ASSERT_EQ(run_cli(advise).exit_code, 0);
  ASSERT_TRUE(write_array_file(d, 8));  // same name, other content
  const auto again = run_cli(advise + " --resume");
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_EQ(count_lines(again.err), 1) << again.err;
  EXPECT_NE(again.err.find("data_content"), std::string::npos) << again.err;
}

TEST(TorchScriptCli, BadFilesGetOneSentenceAndExitCode2) {
  REQUIRE_EXPORTS();
  ScratchDir d("ts_bad");
  std::ofstream(d / "garbage.pt") << "this is not a TorchScript archive\n";
  const std::string tail = " --dataset synthetic --synthetic-train 64 --batch-sizes full --lanczos-steps 4 --quiet --out " + (d / "s.h5");
  struct Case {
    std::string file, says;
  };
  for (const Case& c : {Case{d / "garbage.pt", "is not a TorchScript module"},
                        Case{exports() / "wrong_shape.pt", "must give 1 x 10"},
                        Case{d / "missing.pt", "does not exist"}}) {
    const auto r = run_cli("spectrum --model torchscript:" + c.file + tail);
    EXPECT_EQ(r.exit_code, 2) << c.file << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}
