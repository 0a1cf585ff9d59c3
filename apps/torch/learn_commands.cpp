// `batchrmt learn`: trains with the spectrum-driven learner (docs/theory.md §6.4; networks/learner.hpp):
// every --curvature-every epochs a --curvature-steps Lanczos run on a fixed --curvature-batch
// subset sets SGD's learning rate and momentum from Polyak's heavy-ball rates (or the SSGD /
// SSGDMN variants of the authors' code). Layout of RUN.h5:
//   /learn                 attributes: model, dataset, options, status (complete | diverged)
//   /learn/history/        per epoch: epoch, updated, L, mu, deleted, lr, momentum, train/test
//                          loss and accuracy, curvature_seconds, seconds, and the stability
//                          diagnosis of the update (NaN without one): ritz_top, v_phi, kappa,
//                          lambda_mean_square, margin, margin_mean_square, noise_seconds
//                          (verify/learner_diagnosis.hpp)
//   /learn/updates/e=<k>/  ritz, weights of the update before epoch k
//   /learn/curvature_indices  the fixed curvature subset
#include <cmath>
#include <iostream>

#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "apps/runtime.hpp"
#include "apps/torch/network_options.hpp"
#include "core/errors.hpp"
#include "networks/datasets.hpp"
#include "networks/learner.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "outputs/store.hpp"
#include "verify/learner_diagnosis.hpp"
#include "verify/learning_rate_claims.hpp"

namespace {

namespace nw = batchrmt::networks;
namespace outputs = batchrmt::outputs;
using batchrmt::app::GlobalOptions;

struct LearnCli {
  nw::ModelSpec model;
  nw::DataOptions data;
  nw::LearnerOptions learner;
  std::string normalize = "per-channel";
  std::string device = "cpu";
  std::string variant = "ssgdm", mu_rule = "minimum", momentum_formula = "polyak";
  std::string curvature_batchnorm = "train";
  bool overwrite = false;
};

// /learn/history: one dataset per field of the learner's epochs (same names and dtypes as the
// schema, docs/hdf5-schema.md), and /learn/updates/e=<epoch>: the Ritz values and weights of
// each curvature update.
void write_learner_history(const outputs::Group& unit, const std::vector<nw::LearnerEpoch>& h) {
  const auto hist = unit.group("history");
  using E = nw::LearnerEpoch;
  outputs::write_columns(hist, h,
                         BATCHRMT_MEMBERS(E, epoch, updated, deleted, L, mu, lr, momentum, train_loss, train_accuracy,
                                          test_loss, test_accuracy, curvature_seconds, seconds, ritz_top, v_phi, kappa,
                                          lambda_mean_square, margin, margin_mean_square, noise_seconds));
  for (const auto& e : h)
    if (e.updated) {
      const auto u = unit.group("updates/e=" + std::to_string(e.epoch));
      u.write("ritz", e.ritz);
      u.write("weights", e.weights);
    }
}

void run_learn(const GlobalOptions& global, LearnCli c) {
  batchrmt::app::apply_runtime_settings(global);
  c.device = nw::checked_device(c.device);
  c.data.normalize = nw::parse_normalize(c.normalize);
  c.data.subset_seed = global.seed;
  c.data.synthetic.seed = global.seed;
  c.model.seed = global.seed;
  c.learner.seed = global.seed;
  c.learner.curvature.batchnorm = nw::parse_batchnorm_policy(c.curvature_batchnorm);
  c.learner.curvature.chunk_size = static_cast<std::int64_t>(c.learner.curvature_batch);  // one forward over the subset
  if (c.learner.warmstart < -1)
    throw batchrmt::InvalidInput("--warmstart is " + std::to_string(c.learner.warmstart) +
                       ", but must be -1 (measure from the start) or an epoch number (0 or more).");
  c.learner.validate();
  const auto rule = batchrmt::verify::make_learner_rule(c.variant, c.mu_rule, c.momentum_formula);
  const auto sig = nw::dataset_signature(c.data);
  c.model.input_shape = sig.input_shape;
  c.model.classes = sig.classes;
  c.model = c.model.resolved();
  const std::string out = global.out.empty() ? "results/learn-" + c.model.name + "-" + c.data.name + ".h5" : global.out;
  const nw::DataSplits data = nw::load_dataset(c.data);  // a missing dataset is reported before any file is made
  nw::Model model = nw::Model::create(c.model, c.device);
  c.model = model.spec();  // with what loading found (a TorchScript file's fingerprint)
  outputs::Store store = outputs::Store::open(out, batchrmt::app::make_provenance(global),
                                              c.overwrite ? outputs::OpenMode::overwrite : outputs::OpenMode::fresh,
                                              batchrmt::app::network_run_identity(global, {true, {}}, c.model, &c.data));
  const outputs::Group unit = store.begin_unit("/learn");
  unit.set_attribute("model", c.model.describe());
  unit.set_attribute("model_spec", c.model.serialize());
  unit.set_attribute("dataset", c.data.name);
  unit.set_attribute("data", data.description);
  unit.set_attribute("variant", c.variant);
  unit.set_attribute("mu_rule", c.mu_rule);
  unit.set_attribute("momentum_formula", c.momentum_formula);
  unit.set_attribute("epochs", static_cast<std::int64_t>(c.learner.epochs));
  unit.set_attribute("batch_size", c.learner.batch_size);
  unit.set_attribute("curvature_every", static_cast<std::int64_t>(c.learner.curvature_every));
  unit.set_attribute("curvature_steps", static_cast<std::int64_t>(c.learner.curvature_steps));
  unit.set_attribute("curvature_batch", static_cast<std::int64_t>(c.learner.curvature_batch));
  unit.set_attribute("curvature_seed", static_cast<std::int64_t>(c.learner.curvature_seed));
  unit.set_attribute("warmstart", static_cast<std::int64_t>(c.learner.warmstart));
  unit.set_attribute("curvature_batchnorm", nw::to_string(c.learner.curvature.batchnorm));
  unit.set_attribute("lr_init", c.learner.lr_init);
  unit.set_attribute("momentum_init", c.learner.momentum_init);
  unit.set_attribute("weight_decay", c.learner.weight_decay);
  unit.set_attribute("device", c.device);
  const bool show = !global.json;
  const nw::LearnerResult result = nw::train_with_learner(
      model, data, c.learner, rule, batchrmt::verify::make_learner_margin_rule(), [&](const nw::LearnerEpoch& e) {
        if (show)
          std::cerr << "epoch " << e.epoch << (e.updated ? " [curvature]" : "") << ": lr " << e.lr << ", momentum "
                    << e.momentum << ", margin " << e.margin << " (mean-square " << e.margin_mean_square
                    << "), train loss " << e.train_loss << ", test accuracy " << e.test_accuracy << std::endl;
      });
  write_learner_history(unit, result.history);
  unit.write("curvature_indices", std::vector<std::int64_t>(result.curvature_indices.begin(), result.curvature_indices.end()));
  unit.set_attribute("learner_status", nw::to_string(result.status));
  unit.set_attribute("noise_batchnorm", result.noise_batchnorm);
  const auto cross = batchrmt::verify::first_margin_crossing(result.history, false);
  const auto cross_ms = batchrmt::verify::first_margin_crossing(result.history, true);
  unit.set_attribute("margin_crossing_epoch", static_cast<std::int64_t>(cross.epoch));
  unit.set_attribute("margin_mean_square_crossing_epoch", static_cast<std::int64_t>(cross_ms.epoch));
  store.complete_unit(unit);
  store.commit();
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : result.history)
    rows.push_back({{"epoch", e.epoch}, {"updated", e.updated}, {"L", e.L}, {"mu", e.mu}, {"lr", e.lr}, {"momentum", e.momentum},
                    {"v_phi", num(e.v_phi)}, {"margin", num(e.margin)}, {"margin_mean_square", num(e.margin_mean_square)},
                    {"train_loss", num(e.train_loss)}, {"test_accuracy", num(e.test_accuracy)}});
  nlohmann::json j{{"status", nw::to_string(result.status)}, {"out", out}, {"epochs", rows},
                   {"margin_crossing_epoch", cross.epoch}, {"margin_mean_square_crossing_epoch", cross_ms.epoch}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "learner " << c.variant << " (" << c.mu_rule << " rule): " << nw::to_string(result.status) << "\n";
    for (const auto& e : result.history)
      os << "  epoch " << e.epoch << ": L " << e.L << ", mu " << e.mu << ", lr " << e.lr << ", momentum " << e.momentum
         << ", V_phi " << e.v_phi << ", margin " << e.margin << ", mean-square margin " << e.margin_mean_square
         << ", test accuracy " << e.test_accuracy << "\n";
    if (cross.epoch > 0) os << "margin lr L/(2(1+rho)) first above 1 in epoch " << cross.epoch << " (" << cross.margin << ")\n";
    if (cross_ms.epoch > 0)
      os << "mean-square margin first above 1 in epoch " << cross_ms.epoch << " (" << cross_ms.margin << ")\n";
    os << "HDF5: " << out << "\n";
  });
  if (result.status == nw::TrainStatus::diverged)
    throw batchrmt::NumericalFailure(
        "training diverged under the learner's rates in epoch " + std::to_string(result.history.back().epoch) +
        (cross.epoch > 0 ? " (margin first above 1 in epoch " + std::to_string(cross.epoch) + ")" : std::string(" (no margin above 1)")) +
        (cross_ms.epoch > 0 ? ", mean-square margin first above 1 in epoch " + std::to_string(cross_ms.epoch) : std::string()) +
        " (stored in " + out + ", status 'diverged').");
}

void register_learn(CLI::App& app, GlobalOptions& global) {
  auto c = std::make_shared<LearnCli>();
  auto* sub = app.add_subcommand("learn", "Train with the spectrum-driven learner: Lanczos on a fixed curvature subset sets "
                                          "SGD's learning rate and momentum every few epochs (docs/theory.md 6.4)");
  batchrmt::app::add_model_options(sub, c->model);
  batchrmt::app::add_data_options(sub, c->data, c->normalize, batchrmt::app::DataDefaults::own);
  sub->add_option("--epochs", c->learner.epochs, "Epochs")->capture_default_str();
  sub->add_option("--batch-size", c->learner.batch_size, "Training batch size")->capture_default_str();
  sub->add_option("--variant", c->variant, "ssgd | ssgdm | ssgdmn (docs/theory.md 6.4)")->capture_default_str();
  sub->add_option("--mu-rule", c->mu_rule, "minimum | median")->capture_default_str();
  sub->add_option("--momentum-formula", c->momentum_formula, "polyak | code (the authors' code variant, documented typo)")->capture_default_str();
  sub->add_option("--curvature-every", c->learner.curvature_every, "Epochs between curvature updates")->capture_default_str();
  sub->add_option("--curvature-steps", c->learner.curvature_steps, "Lanczos steps per update")->capture_default_str();
  sub->add_option("--curvature-batch", c->learner.curvature_batch, "Size of the fixed curvature subset")->capture_default_str();
  sub->add_option("--curvature-seed", c->learner.curvature_seed, "Seed of the curvature subset (the authors used 5)")->capture_default_str();
  sub->add_option("--warmstart", c->learner.warmstart, "First epoch that measures curvature (-1: from the start)")->capture_default_str();
  sub->add_option("--lr-init", c->learner.lr_init, "Learning rate before the first update")->capture_default_str();
  sub->add_option("--momentum-init", c->learner.momentum_init, "Momentum before the first update")->capture_default_str();
  sub->add_option("--curvature-batchnorm", c->curvature_batchnorm,
                  "BatchNorm mode of the curvature products: train (the authors' learner: batch statistics of the "
                  "subset) | eval (running statistics)")->capture_default_str();
  sub->add_option("--weight-decay", c->learner.weight_decay, "L2 weight decay in the optimiser")->capture_default_str();
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  sub->add_flag("--overwrite", c->overwrite, "Replace an existing --out file");
  sub->callback([c, &global] { run_learn(global, *c); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(learn, 45, register_learn)
