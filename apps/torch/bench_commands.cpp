// `batchrmt bench curvature`: time per gradient, per Hessian-vector product (fresh graph and
// reused graph) and per Lanczos step (full reorthogonalisation) of one network on one batch of
// random inputs — the figures scripts/gpu-check.sh collects on a GPU and that
// benchmarks/compare.sh sets beside PyTorch on a CPU. Medians over --repeats; the products stay
// on the device (networks/device_timing.hpp), the Lanczos step includes everything it does.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "apps/command_registry.hpp"
#include "apps/runtime.hpp"
#include "apps/torch/network_options.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/device_lanczos.hpp"
#include "networks/device_timing.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "spectral/lanczos.hpp"

namespace {

namespace nw = batchrmt::networks;
using batchrmt::app::GlobalOptions;
using Clock = std::chrono::steady_clock;

struct BenchCli {
  batchrmt::networks::ModelSpec model;
  std::string device = "cpu", dtype = "float32", batchnorm = "eval", lanczos_basis = "auto";
  std::string basis = "float64";
  std::int64_t batch = 128, classes = 100;
  std::int64_t channels = 3, side = 32;
  std::size_t lanczos_steps = 30;
  int repeats = 5;
};

void run_bench(const GlobalOptions& global, BenchCli c) {
  batchrmt::app::apply_runtime_settings(global);
  c.device = nw::checked_device(c.device);
  if (c.basis != "float64" && c.basis != "float32")
    throw batchrmt::InvalidInput("--basis is '" + c.basis + "', but must be float64 or float32.");
  const auto placement = nw::parse_lanczos_basis(c.lanczos_basis);
  if (c.batch < 1) throw batchrmt::InvalidInput("--batch is " + std::to_string(c.batch) + ", but must be at least 1.");
  if (c.repeats < 1) throw batchrmt::InvalidInput("--repeats is " + std::to_string(c.repeats) + ", but must be at least 1.");
  nw::TeacherStudentOptions ts;
  ts.train_size = static_cast<std::size_t>(c.batch);
  ts.test_size = 1;
  ts.shape = {c.channels, c.side, c.side};
  ts.classes = static_cast<int>(c.classes);
  ts.seed = global.seed;
  const nw::Dataset data = nw::make_teacher_student(ts, "train");
  nw::ModelSpec spec = c.model;
  spec.input_shape = ts.shape;
  spec.classes = c.classes;
  spec.seed = global.seed;
  spec = spec.resolved();
  const nw::Model model = nw::Model::create(spec, c.device);
  std::vector<std::size_t> idx(static_cast<std::size_t>(c.batch));
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  nw::CurvatureOptions opt;
  opt.dtype = nw::parse_compute_dtype(c.dtype);
  opt.batchnorm = nw::parse_batchnorm_policy(c.batchnorm);
  opt.chunk_size = c.batch;
  nw::Transform t;  // the synthetic inputs are used as they are
  opt.reuse = nw::parse_graph_reuse("never");
  const nw::CurvatureOperator fresh(model, data, t, idx, opt);
  opt.reuse = nw::parse_graph_reuse("always");
  const nw::CurvatureOperator reused(model, data, t, idx, opt);
  // On the device, without host copies, synchronised: as the reference PyTorch calls are timed.
  const double grad_ms = nw::gradient_milliseconds(fresh, c.repeats);
  const double hvp_fresh_ms = nw::product_milliseconds(fresh, c.repeats, global.seed);
  const double hvp_reused_ms = nw::product_milliseconds(reused, c.repeats, global.seed);
  batchrmt::spectral::LanczosOptions lo;
  lo.steps = c.lanczos_steps;
  lo.seed = global.seed;
  lo.storage = c.basis == "float32" ? batchrmt::spectral::BasisStorage::Fp32 : batchrmt::spectral::BasisStorage::Fp64;
  auto where = nw::LanczosBasisPlacement::host;
  (void)nw::curvature_lanczos(reused, lo, placement, nullptr, &where);  // warm-up; `where` it got
  const auto s = Clock::now();
  const auto lr = nw::curvature_lanczos(reused, lo, where);
  const double steps = static_cast<double>(std::max<std::size_t>(lr.alpha.size(), 1));
  const double lanczos_step_ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count() / steps;
  const double step_hvp_ms = 1e3 * lr.operator_seconds / steps, step_reorth_ms = 1e3 * lr.reorth_seconds / steps;
  nlohmann::json j{{"model", spec.describe()}, {"parameters", model.parameter_count()}, {"device", c.device}, {"dtype", c.dtype},
                   {"batchnorm", c.batchnorm}, {"batch", c.batch}, {"threads", global.threads},
                   {"gradient_ms", grad_ms}, {"hvp_fresh_ms", hvp_fresh_ms}, {"hvp_reused_ms", hvp_reused_ms},
                   {"lanczos_step_ms", lanczos_step_ms}, {"lanczos_steps", lr.alpha.size()},
                   {"lanczos_basis", nw::to_string(where)}, {"lanczos_basis_dtype", c.basis}, {"lanczos_step_hvp_ms", step_hvp_ms},
                   {"lanczos_step_reorth_ms", step_reorth_ms},
                   {"hvp_over_gradient", hvp_reused_ms / grad_ms}, {"lanczos_step_over_hvp", lanczos_step_ms / hvp_reused_ms},
                   {"libtorch", nw::libtorch_version()}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << spec.describe() << " (" << model.parameter_count() << " parameters) on " << c.device << ", " << c.dtype << ", batch "
       << c.batch << ", BN " << c.batchnorm << "\n";
    os << "  gradient        " << grad_ms << " ms\n  HVP fresh graph " << hvp_fresh_ms << " ms\n  HVP reused      " << hvp_reused_ms
       << " ms (" << hvp_reused_ms / grad_ms << " x gradient)\n  Lanczos step    " << lanczos_step_ms << " ms ("
       << lanczos_step_ms / hvp_reused_ms << " x HVP, full reorthogonalisation, " << c.basis << " basis on " << nw::to_string(where)
       << ": " << step_hvp_ms << " ms HVP + " << step_reorth_ms << " ms reorthogonalisation)\n";
  });
}

void register_bench(CLI::App& app, GlobalOptions& global) {
  auto* bench = app.add_subcommand("bench", "Time the curvature machinery of a network (gradient, HVP, Lanczos step)");
  bench->require_subcommand(1);
  auto c = std::make_shared<BenchCli>();
  auto* sub = bench->add_subcommand("curvature", "Gradient, Hessian-vector product and Lanczos-step times on one random batch");
  c->model.name = "vgg16bn";
  batchrmt::app::add_model_options(sub, c->model);
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  sub->add_option("--dtype", c->dtype, "float32 | float64 (network and HVP)")->capture_default_str();
  sub->add_option("--batchnorm", c->batchnorm, "eval | train")->capture_default_str();
  sub->add_option("--batch", c->batch, "Batch size")->capture_default_str();
  sub->add_option("--classes", c->classes, "Classes of the random labels")->capture_default_str();
  sub->add_option("--channels", c->channels, "Input channels")->capture_default_str();
  sub->add_option("--side", c->side, "Input height and width")->capture_default_str();
  sub->add_option("--lanczos-steps", c->lanczos_steps, "Lanczos steps timed")->capture_default_str();
  sub->add_option("--repeats", c->repeats, "Timed repetitions (median)")->capture_default_str();
  sub->add_option("--basis", c->basis, "Lanczos basis storage: float64 | float32")->capture_default_str();
  sub->add_option("--lanczos-basis", c->lanczos_basis,
                  "Where the timed Lanczos keeps its basis: auto (the GPU on cuda) | host | device")
      ->capture_default_str();
  sub->callback([c, &global] { run_bench(global, *c); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(bench, 90, register_bench)
