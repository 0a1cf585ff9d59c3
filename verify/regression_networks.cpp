// The network part of the golden regression (verify/regression.hpp): a small C5 case and a small
// learning-rate grid, so that changes to networks/ (operators, Lanczos drivers, training, the
// trial runner) that move a measured number are caught. Float64 networks, one thread's worth of
// work, seeded data subsets: about 10 s.
//
// Tolerance 1e-6 relative for the spectra (1e-4 for the trials, which train the float32 model:
// float32 kernels that sum in another order move a step by ~1e-7, and 10 steps of a convex
// linear model do not amplify that beyond 1e-5). The spectra's products are float64, but LibTorch's CPU kernels (and the BLAS
// under them) sum in an order that depends on the CPU's vector width and the thread count, which
// moves a product by ~1e-16 relative; 20 Lanczos steps with full reorthogonalisation amplify that
// by at most ~1/gap (relative gaps here are >= 1e-3), so 1e-6 is generous for rounding and far below any change of the
// method (a different subset, start vector or step moves these by > 1e-3).
#include "verify/regression.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "verify/spectrum_measurement.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "verify/lr_grid_sweep.hpp"
#endif

namespace batchrmt::verify {

#ifdef BATCHRMT_WITH_TORCH

namespace {
constexpr double kNetworkTol = 1e-6;
constexpr double kTrainingTol = 1e-4;  // the trials train the float32 model: float32 rounding (6e-8) over 10 steps
constexpr std::uint64_t kSeed = 20220601;

networks::DataSplits small_fashion_mnist(std::size_t n) {
  networks::DataOptions o;
  o.name = "fashion-mnist";
  o.normalize = networks::parse_normalize("per-channel");
  o.train_subset = n;
  o.test_subset = 16;
  o.subset_seed = kSeed;
  return networks::load_dataset(o);
}

networks::Model model_at_init(const std::string& name, const networks::DataSplits& d) {
  networks::ModelSpec spec;
  spec.name = name;
  spec.input_shape = d.train.input_shape();
  spec.classes = d.train.classes();
  spec.seed = kSeed;
  return networks::Model::create(spec.resolved(), "cpu");
}

// lambda, V_phi, then per B (8, 64): measured top mean, first-order prediction.
std::vector<double> small_c5_case(const std::string& model, std::size_t n) {
  const auto d = small_fashion_mnist(n);
  networks::SpectrumRequest rq;
  rq.model = model_at_init(model, d);
  rq.data = d.train;
  rq.transform = d.test_transform;
  rq.batch_sizes = {8, 64, networks::kFullBatch};
  rq.subsets = 2;
  rq.lanczos_steps = 20;
  rq.full_lanczos_steps = 20;
  rq.noise_samples = 64;
  rq.curvature.dtype = networks::parse_compute_dtype("float64");
  rq.seed = kSeed;
  const auto r = measure_spectrum(rq, nullptr);
  std::vector<double> v{r.lambda_full, r.noise_top ? r.noise_top->v_phi : 0.0};
  for (const auto& row : r.rows)
    if (!row.full) {
      v.push_back(row.top_mean);
      v.push_back(row.predicted_top);
    }
  return v;
}

// loss_max_ratio of every trial of a 3-rate grid at B = 16, two seeds, 10 steps.
std::vector<double> small_lr_grid() {
  const auto d = small_fashion_mnist(512);
  GridSweepRequest rq;
  rq.model = model_at_init("linear", d);
  rq.train = d.train;
  rq.transform = d.test_transform;
  rq.trial.steps = 10;
  rq.trial.monitor_size = 128;
  rq.trial.monitor_every = 2;
  rq.trial.monitor_seed = kSeed;
  rq.batch_sizes = {16};
  rq.centers = {0.04};  // about 2 / lambda_1 of the linear model at initialisation (lambda_1 ~ 50)
  rq.ratio = 2.0;
  rq.points = 3;
  rq.extend = 1;
  rq.start_below = 1;
  rq.seeds = 2;
  rq.first_seed = kSeed;
  std::vector<double> v;
  for (const auto& row : run_grid_sweep(rq)) {
    for (const auto& t : row.trials) {
      v.push_back(t.lr);
      v.push_back(t.loss_max_ratio);
    }
    for (const auto& l : row.limits) v.push_back(l.lr_max);
  }
  return v;
}

}  // namespace

bool network_quantities_available() { return true; }

void add_network_quantities(std::vector<RegressionQuantity>& q) {
  q.push_back({"networks.c5_linear_init", "linear at init, Fashion-MNIST N=512 float64: lambda, V_phi, (top, first-order) at B=8,64",
               small_c5_case("linear", 512), kNetworkTol, 1e-12});
  q.push_back({"networks.c5_lenet_init", "lenet at init, Fashion-MNIST N=256 float64: lambda, V_phi, (top, first-order) at B=8,64",
               small_c5_case("lenet", 256), kNetworkTol, 1e-12});
  q.push_back({"networks.lr_grid", "linear at init, N=512, B=16, SGD 10 steps, rates 0.02,0.04,0.08 (+1 each side), 2 seeds: (lr, loss_max_ratio) per trial, lr_max per factor",
               small_lr_grid(), kTrainingTol, 1e-12});
}

#else

bool network_quantities_available() { return false; }
void add_network_quantities(std::vector<RegressionQuantity>&) {}

#endif

}  // namespace batchrmt::verify
