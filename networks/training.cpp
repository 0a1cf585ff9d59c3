// Training loop, optimisers, schedules and checkpoints (see training.hpp).
#include "networks/training.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <mutex>
#include <regex>
#include <sstream>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/epoch_steps.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torch_runtime.hpp"

namespace fs = std::filesystem;

namespace batchrmt::networks {

namespace {
constexpr const char* kCheckpointFormat = "batchrmt-checkpoint-1";
constexpr int kHistoryColumns = 8;
}  // namespace

void TrainOptions::validate() const {
  check_at_least("train", "epochs", epochs, 1);
  check_at_least("train", "batch_size", batch_size, std::int64_t{1});
  check_at_least("train", "eval_batch_size", eval_batch_size, std::int64_t{1});
  check_positive("train", "lr", lr);
  check_nonnegative("train", "momentum", momentum);
  check_nonnegative("train", "weight_decay", weight_decay);
  check_at_least("train", "checkpoint_every", checkpoint_every, 0);
  check_at_least("train", "stop_after", stop_after, 0);
  if (momentum >= 1.0) throw InvalidInput("momentum is " + std::to_string(momentum) + ", but must be below 1.");
  if (nesterov && optimizer != Optimizer::sgd) throw InvalidInput("nesterov applies to the sgd optimizer only.");
  if (nesterov && momentum <= 0) throw InvalidInput("nesterov needs a positive momentum.");
  check_positive("train", "final_ratio", final_ratio);
  check_positive("train", "gamma", gamma);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    throw InvalidInput("adam betas are " + std::to_string(beta1) + ", " + std::to_string(beta2) +
                       ", but each must lie in [0, 1).");
  check_positive("train", "eps", eps);
  for (int m : milestones)
    if (m < 1 || m > epochs)
      throw InvalidInput("milestone " + std::to_string(m) + " lies outside 1.." + std::to_string(epochs) + ".");
  if (resume && checkpoint_dir.empty()) throw InvalidInput("resume needs a checkpoint folder.");
}

std::string TrainOptions::serialize() const {
  std::ostringstream os;
  os.precision(17);
  os << "epochs=" << epochs << ";batch_size=" << batch_size << ";drop_last=" << drop_last << ";optimizer=" << to_string(optimizer)
     << ";lr=" << lr << ";momentum=" << momentum << ";nesterov=" << nesterov << ";weight_decay=" << weight_decay
     << ";betas=" << beta1 << "," << beta2 << ";eps=" << eps << ";schedule=" << to_string(schedule)
     << ";final_ratio=" << final_ratio << ";milestones=";
  for (std::size_t i = 0; i < milestones.size(); ++i) os << (i ? "," : "") << milestones[i];
  os << ";gamma=" << gamma << ";seed=" << seed;
  return os.str();
}

double schedule_factor(const TrainOptions& o, int epoch) {
  if (o.schedule == LrSchedule::constant) return 1.0;
  if (o.schedule == LrSchedule::step) {
    std::vector<int> ms = o.milestones;
    if (ms.empty()) ms = {std::max(1, o.epochs / 2), std::max(1, (3 * o.epochs) / 4)};
    double f = 1.0;
    for (int m : ms)
      if (epoch >= m) f *= o.gamma;
    return f;
  }
  // paper (docs/theory.md 6.2): the SWA/SWAG schedule of the authors' run_sgd.py.
  const double t = static_cast<double>(epoch) / o.epochs;
  const double r = o.final_ratio;
  if (t <= 0.5) return 1.0;
  if (t <= 0.9) return 1.0 - (1.0 - r) * (t - 0.5) / 0.4;
  return r;
}

std::string checkpoint_path(const std::string& dir, int epoch) {
  char name[32];
  std::snprintf(name, sizeof name, "epoch-%06d.pt", epoch);
  return (fs::path(dir) / name).string();
}

std::vector<int> list_checkpoints(const std::string& dir) {
  std::vector<int> out;
  if (dir.empty() || !fs::is_directory(dir)) return out;
  static const std::regex pattern("^epoch-([0-9]{6})\\.pt$");
  for (const auto& e : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, pattern)) out.push_back(std::stoi(m[1].str()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Model& model, const TrainOptions& o) {
  auto params = model_parameters(model);
  if (o.optimizer == Optimizer::sgd)
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
  if (o.optimizer == Optimizer::adam)
    return std::make_unique<torch::optim::Adam>(
        params,
        torch::optim::AdamOptions(o.lr).betas(std::make_tuple(o.beta1, o.beta2)).eps(o.eps).weight_decay(o.weight_decay));
  return std::make_unique<torch::optim::AdamW>(
      params,
      torch::optim::AdamWOptions(o.lr).betas(std::make_tuple(o.beta1, o.beta2)).eps(o.eps).weight_decay(o.weight_decay));
}

void set_lr(torch::optim::Optimizer& opt, Optimizer kind, double lr) {
  for (auto& g : opt.param_groups()) {
    if (kind == Optimizer::sgd)
      static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
    else if (kind == Optimizer::adam)
      static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    else
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
  }
}

torch::Tensor history_tensor(const std::vector<EpochRecord>& h) {
  auto t = torch::zeros({static_cast<std::int64_t>(h.size()), kHistoryColumns}, torch::kDouble);
  auto* p = t.data_ptr<double>();
  for (std::size_t i = 0; i < h.size(); ++i) {
    const double row[kHistoryColumns] = {static_cast<double>(h[i].epoch), h[i].lr, h[i].train_loss,
                                         h[i].train_accuracy, h[i].test_loss, h[i].test_accuracy,
                                         h[i].seconds, h[i].images_per_second};
    std::copy(row, row + kHistoryColumns, p + i * kHistoryColumns);
  }
  return t;
}

std::vector<EpochRecord> history_from(const torch::Tensor& t_in) {
  const auto t = t_in.to(torch::kCPU, torch::kDouble).contiguous();
  std::vector<EpochRecord> h(static_cast<std::size_t>(t.size(0)));
  const auto* p = t.data_ptr<double>();
  for (std::size_t i = 0; i < h.size(); ++i) {
    const double* r = p + i * kHistoryColumns;
    h[i] = {static_cast<int>(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]};
  }
  return h;
}

std::string config_text(const Model& model, const DataSplits& data, const TrainOptions& o) {
  return "model{" + model.spec().serialize() + "} data{" + data.description + "} train{" + o.serialize() + "}";
}

void write_checkpoint(const std::string& path, const Model& model, const torch::optim::Optimizer& opt, int epoch,
                      const std::vector<EpochRecord>& history, const std::string& config, const DataSplits& data,
                      const TrainOptions& o) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kCheckpointFormat)));
  archive.write("model_spec", c10::IValue(model.spec().serialize()));
  archive.write("config", c10::IValue(config));
  archive.write("epoch", c10::IValue(static_cast<std::int64_t>(epoch)));
  torch::serialize::OutputArchive model_archive, opt_archive;
  network(model).save(model_archive);
  opt.save(opt_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", opt_archive);
  archive.write("history", history_tensor(history));
  archive.write("normalize_mean", torch::tensor(data.train_transform.mean.empty() ? std::vector<float>{}
                                                                                  : data.train_transform.mean,
                                                torch::kFloat));
  archive.write("normalize_std", torch::tensor(data.train_transform.std.empty() ? std::vector<float>{}
                                                                                : data.train_transform.std,
                                               torch::kFloat));
  // Not needed by any model here (no dropout by default), kept so a resumed run with dropout
  // continues the same LibTorch random sequence.
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("torch_rng_state", gen.get_state());
  }
  // The data order of the next epoch, so that a resume can check it draws the same one.
  const auto order = epoch_order(data.train.size(), o.seed, epoch);
  auto order_t = torch::empty({static_cast<std::int64_t>(order.size())}, torch::kLong);
  for (std::size_t i = 0; i < order.size(); ++i) order_t.data_ptr<std::int64_t>()[i] = static_cast<std::int64_t>(order[i]);
  archive.write("next_epoch_order", order_t);
  const std::string tmp = path + ".tmp";
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    throw IoError("cannot write the checkpoint " + tmp + " (" + e.what_without_backtrace() + ").");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw IoError("cannot rename the checkpoint " + tmp + " to " + path + ": " + ec.message() + ".");
}

struct LoadedCheckpoint {
  int epoch = 0;
  std::vector<EpochRecord> history;
};

std::string read_string(torch::serialize::InputArchive& a, const std::string& key, const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v) || !v.isString())
    throw InvalidInput("the checkpoint " + path + " has no '" + key + "' entry; it was not written by batchrmt train.");
  return v.toStringRef();
}

void open_archive(torch::serialize::InputArchive& a, const std::string& path, const torch::Device& device) {
  if (!fs::exists(path)) throw InvalidInput("the checkpoint " + path + " does not exist.");
  try {
    a.load_from(path, device);  // tensors (optimiser state included) land on the model's device
  } catch (const c10::Error& e) {
    throw InvalidInput("the checkpoint " + path + " is not a readable LibTorch archive (" +
                       e.what_without_backtrace() + ").");
  }
  if (read_string(a, "format", path) != kCheckpointFormat)
    throw InvalidInput("the checkpoint " + path + " has an unknown format; expected " + kCheckpointFormat + ".");
}

LoadedCheckpoint read_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& opt,
                                 const std::string& config, const DataSplits& data, const TrainOptions& o) {
  torch::serialize::InputArchive a;
  open_archive(a, path, model_device(model));
  const std::string stored = read_string(a, "config", path);
  if (stored != config)
    throw InvalidInput("the checkpoint " + path + " belongs to another run configuration (stored: " + stored +
                       "; now: " + config + "); resume with the same options or start a new run.");
  c10::IValue epoch_v;
  a.read("epoch", epoch_v);
  LoadedCheckpoint c;
  c.epoch = static_cast<int>(epoch_v.toInt());
  torch::serialize::InputArchive ma, oa;
  a.read("model", ma);
  a.read("optimizer", oa);
  try {
    network(model).load(ma);
    opt.load(oa);
  } catch (const c10::Error& e) {
    throw InvalidInput("the checkpoint " + path + " does not fit the model (" + e.what_without_backtrace() + ").");
  }
  network(model).to(model_device(model));
  torch::Tensor h, rng_state, order;
  a.read("history", h);
  c.history = history_from(h);
  if (a.try_read("torch_rng_state", rng_state)) {
    rng_state = rng_state.to(torch::kCPU);
    at::Generator gen = at::detail::getDefaultCPUGenerator();  // shares the default generator's state
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng_state);
  }
  if (a.try_read("next_epoch_order", order)) {
    order = order.to(torch::kCPU).contiguous();
    const auto expect = epoch_order(data.train.size(), o.seed, c.epoch);
    bool same = order.numel() == static_cast<std::int64_t>(expect.size());
    for (std::size_t i = 0; same && i < expect.size(); ++i)
      same = order.data_ptr<std::int64_t>()[i] == static_cast<std::int64_t>(expect[i]);
    if (!same)
      throw NumericalFailure("the checkpoint " + path +
                             " recorded a data order this build does not reproduce; the random streams differ.");
  }
  return c;
}

}  // namespace

Model load_model_from_checkpoint(const std::string& path, const std::string& device) {
  torch::serialize::InputArchive a;
  open_archive(a, path, torch::Device(checked_device(device)));
  Model m = Model::create(ModelSpec::parse(read_string(a, "model_spec", path)), device);
  torch::serialize::InputArchive ma;
  a.read("model", ma);
  try {
    network(m).load(ma);
  } catch (const c10::Error& e) {
    throw InvalidInput("the checkpoint " + path + " does not fit its model (" + e.what_without_backtrace() + ").");
  }
  network(m).to(model_device(m));
  return m;
}

Transform CheckpointInfo::test_transform() const {
  Transform t;
  t.mean = normalize_mean;
  t.std = normalize_std;
  t.augment = false;
  return t;
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  torch::serialize::InputArchive a;
  open_archive(a, path, torch::kCPU);
  CheckpointInfo info;
  info.model = ModelSpec::parse(read_string(a, "model_spec", path));
  info.config = read_string(a, "config", path);
  c10::IValue epoch_v;
  a.read("epoch", epoch_v);
  info.epoch = static_cast<int>(epoch_v.toInt());
  torch::Tensor h, mean, sd;
  a.read("history", h);
  info.history = history_from(h);
  auto to_vec = [](const torch::Tensor& t) {
    const auto c = t.to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  if (a.try_read("normalize_mean", mean)) info.normalize_mean = to_vec(mean);
  if (a.try_read("normalize_std", sd)) info.normalize_std = to_vec(sd);
  return info;
}

Evaluation evaluate(Model& model, const Dataset& d, const Transform& t, std::int64_t batch_size) {
  Evaluation e;
  if (d.size() == 0) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  auto& net = network(model);
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard g;
  double loss = 0.0;
  std::int64_t correct = 0;
  for (std::size_t begin = 0; begin < d.size(); begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(d.size(), begin + static_cast<std::size_t>(batch_size));
    std::vector<std::size_t> idx(end - begin);
    for (std::size_t k = begin; k < end; ++k) idx[k - begin] = k;
    const auto x = make_inputs(d, idx, t, model_device(model));
    const auto y = make_targets(d, idx, model_device(model));
    const auto logits = net.forward(x);
    loss += torch::nn::functional::cross_entropy(
                logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  net.train(was_training);
  e.loss = loss / static_cast<double>(d.size());
  e.accuracy = static_cast<double>(correct) / static_cast<double>(d.size());
  return e;
}

TrainResult train(Model& model, const DataSplits& data, const TrainOptions& o, const TrainCallbacks& cb) {
  o.validate();
  if (model.spec().input_shape != data.train.input_shape())
    throw InvalidInput("the model expects inputs of shape " + std::to_string(model.spec().input_shape[0]) + "x" +
                       std::to_string(model.spec().input_shape[1]) + "x" + std::to_string(model.spec().input_shape[2]) +
                       ", but the dataset " + data.train.name() + " has " +
                       std::to_string(data.train.input_shape()[0]) + "x" + std::to_string(data.train.input_shape()[1]) +
                       "x" + std::to_string(data.train.input_shape()[2]) + ".");
  if (model.spec().classes != data.train.classes())
    throw InvalidInput("the model has " + std::to_string(model.spec().classes) + " outputs, but the dataset " +
                       data.train.name() + " has " + std::to_string(data.train.classes()) + " classes.");
  const std::size_t N = data.train.size();
  if (o.drop_last && N < static_cast<std::size_t>(o.batch_size))
    throw InvalidInput("batch size " + std::to_string(o.batch_size) + " exceeds the " + std::to_string(N) +
                       " training items, and drop_last leaves no batch.");

  auto opt = make_optimizer(model, o);
  const std::string config = config_text(model, data, o);
  TrainResult result;
  int start = 0;
  if (!o.checkpoint_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.checkpoint_dir, ec);
    if (ec) throw IoError("cannot create the checkpoint folder " + o.checkpoint_dir + ": " + ec.message() + ".");
  }
  if (o.resume) {
    // A run stopped before its first checkpoint (epoch 0, written before any step) has nothing
    // to continue: it starts from epoch 0, as a fresh run would.
    const auto epochs = list_checkpoints(o.checkpoint_dir);
    if (!epochs.empty()) {
      const auto loaded = read_checkpoint(checkpoint_path(o.checkpoint_dir, epochs.back()), model, *opt, config, data, o);
      start = loaded.epoch;
      result.history = loaded.history;
      result.resumed_from_epoch = start;
      for (int e : epochs)
        if (e <= start) {
          result.checkpoint_epochs.push_back(e);
          result.checkpoint_paths.push_back(checkpoint_path(o.checkpoint_dir, e));
        }
    }
  }
  auto save = [&](int epoch) {
    if (o.checkpoint_dir.empty()) return;
    const std::string path = checkpoint_path(o.checkpoint_dir, epoch);
    write_checkpoint(path, model, *opt, epoch, result.history, config, data, o);
    result.checkpoint_epochs.push_back(epoch);
    result.checkpoint_paths.push_back(path);
    if (cb.on_checkpoint) cb.on_checkpoint(epoch, path);
  };
  // Epoch 0's checkpoint (the initial weights), unless this run resumed from it.
  if (start == 0 && result.resumed_from_epoch < 0 && !o.checkpoint_dir.empty()) save(0);

  auto& net = network(model);
  const std::size_t B = static_cast<std::size_t>(o.batch_size);
  const std::size_t steps = o.drop_last ? N / B : (N + B - 1) / B;
  int run_epochs = 0;
  result.status = TrainStatus::complete;
  for (int epoch = start; epoch < o.epochs; ++epoch) {
    if (o.stop_after > 0 && run_epochs >= o.stop_after) {
      result.status = TrainStatus::stopped;
      break;
    }
    const double lr = o.lr * schedule_factor(o, epoch);
    set_lr(*opt, o.optimizer, lr);
    net.train();
    const auto t0 = std::chrono::steady_clock::now();
    const AfterStep progress = [&](std::size_t done, const EpochSteps& sums) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      cb.on_step({epoch, static_cast<std::int64_t>(done), static_cast<std::int64_t>(steps),
                  sums.loss_sum / static_cast<double>(sums.seen), secs > 0 ? static_cast<double>(sums.seen) / secs : 0.0});
    };
    const EpochSteps e = run_epoch_steps(model, *opt, data, {o.seed, epoch, B, steps}, cb.on_step ? progress : AfterStep{});
    if (e.diverged) {
      result.status = TrainStatus::diverged;
      result.diverged_epoch = epoch;
      result.diverged_step = e.diverged_step;
      result.diverged_loss = e.diverged_loss;
      return result;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EpochRecord r;
    r.epoch = epoch + 1;
    r.lr = lr;
    r.train_loss = e.mean_loss();
    r.train_accuracy = e.accuracy();
    r.seconds = secs;
    r.images_per_second = secs > 0 ? static_cast<double>(e.seen) / secs : 0.0;
    r.test_loss = r.test_accuracy = std::numeric_limits<double>::quiet_NaN();
    if (o.evaluate_test) {
      const auto ev = evaluate(model, data.test, data.test_transform, o.eval_batch_size);
      r.test_loss = ev.loss;
      r.test_accuracy = ev.accuracy;
    }
    result.history.push_back(r);
    ++run_epochs;
    const bool last = epoch + 1 == o.epochs;
    const bool stopping = o.stop_after > 0 && run_epochs >= o.stop_after;
    if ((o.checkpoint_every > 0 && (epoch + 1) % o.checkpoint_every == 0) || last || stopping) save(epoch + 1);
    if (cb.on_epoch) cb.on_epoch(result.history);
  }
  return result;
}

}  // namespace batchrmt::networks
