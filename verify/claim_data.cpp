#include "verify/claim_data.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "core/errors.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"

namespace batchrmt::verify {

namespace nw = batchrmt::networks;

// Loads the section's dataset and builds its model; throws IoError when the data are absent.
ClaimData load_claim_data(const Config& c, const std::string& sec, std::uint64_t seed, const std::string& model_default,
                          std::int64_t train_default, std::int64_t test_default) {
  ClaimData d;
  nw::DataOptions o;
  o.name = c.text(sec + ".dataset", "fashion-mnist");
  o.data_dir = c.text(sec + ".data_dir", c.text("run.data_dir", ""));  // run.*: reproduce --data-dir / --device
  o.normalize = nw::parse_normalize(c.text(sec + ".normalize", "per-channel"));
  o.augment = "off";
  o.train_subset = static_cast<std::size_t>(c.integer(sec + ".train_subset", train_default));
  o.test_subset = static_cast<std::size_t>(c.integer(sec + ".test_subset", test_default));
  o.subset_seed = seed;
  o.synthetic.seed = seed;
  o.image_folder.side = static_cast<int>(c.integer(sec + ".image_side", 32));
  nw::dataset_signature(o);  // an unknown dataset name is a configuration error (InvalidInput), not absent data
  try {
    d.data = nw::load_dataset(o);
  } catch (const Error& e) {  // absent or unreadable data: the claim is "not measured"
    throw IoError(o.name + " could not be read (" + e.what() + ")");
  }
  nw::ModelSpec spec;
  spec.name = c.text(sec + ".model", model_default);
  spec.input_shape = d.data.train.input_shape();
  spec.classes = d.data.train.classes();
  spec.init = c.text(sec + ".init", "default");
  spec.depth = static_cast<int>(c.integer(sec + ".depth", 0));
  spec.width = static_cast<int>(c.integer(sec + ".width", 0));
  spec.seed = seed;
  spec = spec.resolved();
  const std::string device = nw::checked_device(c.text(sec + ".device", c.text("run.device", "cpu")));
  d.model = nw::Model::create(spec, device);
  const int pre = static_cast<int>(c.integer(sec + ".pretrain_epochs", 0));
  if (pre > 0) {
    nw::TrainOptions t;
    t.epochs = pre;
    t.batch_size = c.integer(sec + ".pretrain_batch_size", 128);
    t.lr = c.number(sec + ".pretrain_lr", 0.01);
    t.momentum = 0.9;
    t.schedule = nw::LrSchedule::constant;
    t.evaluate_test = false;
    t.seed = seed;
    nw::train(d.model, d.data, t);
  }
  d.description = spec.describe() + " on " + d.data.description +
                  (pre > 0 ? " after " + std::to_string(pre) + " epoch(s) of SGD" : std::string(", at initialisation"));
  return d;
}

// Loads the section's data into `d`; false, with `r` turned into "not measured" and the reason,
// when they are absent.
bool load_or_explain(ClaimResult& r, ClaimData& d, const Config& c, const std::string& sec, std::uint64_t seed,
                     const std::string& model_default, std::int64_t train_default, std::int64_t test_default) {
  try {
    d = load_claim_data(c, sec, seed, model_default, train_default, test_default);
    return true;
  } catch (const IoError& e) {
    r = not_measured(r.id, r.name, std::string("the data are not available: ") + e.what());
    return false;
  }
}


}  // namespace batchrmt::verify
#endif
