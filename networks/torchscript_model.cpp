// A module saved by torch.jit.script / torch.jit.trace as a batchrmt network (torchscript_network.hpp;
// docs/networks.md, "TorchScript models").
#include <torch/script.h>
#if __has_include(<torch/csrc/jit/python/update_graph_executor_opt.h>)
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#else  // a LibTorch that does not ship the header still exports the functions
namespace torch::jit {
TORCH_API void setGraphExecutorOptimize(bool o);
TORCH_API bool getGraphExecutorOptimize();
}  // namespace torch::jit
#endif

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/errors.hpp"
#include "core/run_identity.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/torchscript_network.hpp"

namespace batchrmt::networks {

namespace {

std::string first_line(const c10::Error& e) {
  const std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

std::string shape_text(const std::vector<std::int64_t>& dims, const char* sep = " x ") {
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? sep : "") + std::to_string(dims[i]);
  return out;
}

bool is_batchnorm_module(const torch::jit::Module& m) {
  const auto type = m.type();
  if (!type->name()) return false;
  const std::string name = type->name()->name();
  return name == "BatchNorm1d" || name == "BatchNorm2d" || name == "BatchNorm3d";
}

// The graph executor's optimisations (autodiff of fused subgraphs) off during a forward: the
// operators then record ordinary autograd nodes, so double backward (HVPs) works as in eager mode.
struct PlainGraphExecution {
  const bool before = torch::jit::getGraphExecutorOptimize();
  PlainGraphExecution() { torch::jit::setGraphExecutorOptimize(false); }
  ~PlainGraphExecution() { torch::jit::setGraphExecutorOptimize(before); }
};

struct TorchScriptNetworkImpl : NetworkImpl {
  torch::jit::Module module;
  std::string file;
  std::map<std::string, std::string> module_names;  // registered name -> the module's name
  std::vector<torch::jit::Module> batchnorms;

  TorchScriptNetworkImpl(torch::jit::Module loaded, std::string path) : module(std::move(loaded)), file(std::move(path)) {
    for (const auto& p : module.named_parameters(/*recurse=*/true)) {
      const std::string key = unique_key(p.name);
      if (p.value.requires_grad()) register_parameter(key, p.value, /*requires_grad=*/true);
      else register_buffer(key, p.value);
    }
    for (const auto& b : module.named_buffers(/*recurse=*/true)) register_buffer(unique_key(b.name), b.value);
    for (const auto& sub : module.modules())
      if (is_batchnorm_module(sub)) batchnorms.push_back(sub);
  }

  std::string unique_key(const std::string& name) {
    std::string key = name;
    std::replace(key.begin(), key.end(), '.', '_');
    while (module_names.count(key)) key += "_";
    module_names[key] = name;
    return key;
  }

  torch::Tensor forward(torch::Tensor x) override {
    PlainGraphExecution plain;
    return module.forward({std::move(x)}).toTensor();
  }

  void train(bool on) override {
    NetworkImpl::train(on);
    module.train(on);
  }

  void pretty_print(std::ostream& os) const override {
    os << "TorchScript module " << file << " (" << module.type()->name()->qualifiedName() << ")";
  }
};

const TorchScriptNetworkImpl* as_script(const NetworkImpl& net) { return dynamic_cast<const TorchScriptNetworkImpl*>(&net); }
TorchScriptNetworkImpl* as_script(NetworkImpl& net) { return dynamic_cast<TorchScriptNetworkImpl*>(&net); }

torch::jit::Module load_module(const std::string& path, const torch::Device& device) {
  if (!std::filesystem::is_regular_file(path))
    throw InvalidInput("the TorchScript file " + path + " does not exist (--model torchscript:FILE.pt).");
  try {
    return torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw InvalidInput("the file " + path + " is not a TorchScript module that this LibTorch (" + libtorch_version() +
                       ") can load (" + first_line(e) + "); save one with torch.jit.script(model).save(FILE).");
  }
}

// Floating parameters and buffers in float32, as the built-in models are built.
void convert_to_float32(TorchScriptNetworkImpl& net) {
  torch::NoGradGuard g;
  for (auto& t : net.parameters()) if (t.is_floating_point() && t.scalar_type() != torch::kFloat) t.set_data(t.to(torch::kFloat));
  for (auto& t : net.buffers()) if (t.is_floating_point() && t.scalar_type() != torch::kFloat) t.set_data(t.to(torch::kFloat));
}

// One item of the model's input shape in eval mode must give 1 x classes logits.
void check_output_shape(TorchScriptNetworkImpl& net, const ModelSpec& spec, const torch::Device& device) {
  const std::vector<std::int64_t> in{1, spec.input_shape[0], spec.input_shape[1], spec.input_shape[2]};
  net.train(false);
  torch::NoGradGuard g;
  torch::Tensor y;
  try {
    y = net.forward(torch::zeros(in, torch::TensorOptions().device(device)));
  } catch (const c10::Error& e) {
    throw InvalidInput("the TorchScript module " + spec.torchscript + " fails on one input of shape " + shape_text(in) +
                       " (the dataset's): " + first_line(e) + ".");
  }
  if (y.dim() != 2 || y.size(0) != 1 || y.size(1) != spec.classes)
    throw InvalidInput("the TorchScript module " + spec.torchscript + " maps one input of shape " + shape_text(in) +
                       " to an output of shape " + shape_text(y.sizes().vec()) + ", but must give 1 x " +
                       std::to_string(spec.classes) + " (one logit per class of the dataset).");
}

}  // namespace

std::shared_ptr<NetworkImpl> load_torchscript_network(ModelSpec& spec, const torch::Device& device) {
  const std::string& path = spec.torchscript;
  const std::string fingerprint = std::filesystem::is_regular_file(path) ? file_fingerprint(path) : "";
  if (!spec.torchscript_fingerprint.empty() && !fingerprint.empty() && fingerprint != spec.torchscript_fingerprint)
    throw InvalidInput("the TorchScript file " + path + " has changed since it was recorded (content fingerprint " +
                       spec.torchscript_fingerprint + ", now " + fingerprint + "); restore it or start a new run.");
  auto net = std::make_shared<TorchScriptNetworkImpl>(load_module(path, device), path);
  if (net->parameters().empty())
    throw InvalidInput("the TorchScript module " + path + " has no trainable (requires_grad) parameters, but batchrmt "
                       "measures the curvature in its parameters.");
  convert_to_float32(*net);
  check_output_shape(*net, spec, device);
  spec.torchscript_fingerprint = fingerprint;
  return net;
}

std::string parameter_name(const NetworkImpl& net, const std::string& registered) {
  const auto* s = as_script(net);
  return s ? s->module_names.at(registered) : registered;
}

bool has_script_batchnorm(const NetworkImpl& net) {
  const auto* s = as_script(net);
  return s && !s->batchnorms.empty();
}

namespace {
// A scripted BatchNorm layer keeps its momentum as a constant of its class; a traced one has none
// (its graph fixed the mode it was traced in).
bool is_scripted(const torch::jit::Module& bn) { return bn.type()->hasConstant("momentum"); }

std::string traced_batchnorm(const std::string& file, const std::string& what) {
  return "the BatchNorm layers of the TorchScript module " + file + " were traced (torch.jit.trace), which fixes "
         "their mode; export the model with torch.jit.script to " + what + ".";
}
}  // namespace

void train_script_batchnorm(NetworkImpl& net) {
  auto* s = as_script(net);
  if (!s) return;
  for (auto& bn : s->batchnorms) {
    if (!is_scripted(bn)) throw InvalidInput(traced_batchnorm(s->file, "use --batchnorm train"));
    bn.train(true);
  }
}

std::vector<torch::Tensor> script_batchnorm_buffers(const NetworkImpl& net) {
  std::vector<torch::Tensor> out;
  if (const auto* s = as_script(net))
    for (const auto& bn : s->batchnorms)
      for (const auto& b : bn.named_buffers(/*recurse=*/false)) out.push_back(b.value);
  return out;
}

namespace {

// A scripted BatchNorm layer's running buffers and its momentum (None: the cumulative average).
struct ScriptBatchNorm {
  torch::Tensor mean, var, count;
  double factor = 1.0;  // weight of one batch's statistics in an update from zeroed buffers
};

ScriptBatchNorm script_batchnorm(const torch::jit::Module& bn, const std::string& file) {
  if (!is_scripted(bn)) throw InvalidInput(traced_batchnorm(file, "recompute their statistics"));
  ScriptBatchNorm s;
  s.mean = bn.attr("running_mean").toTensor();
  s.var = bn.attr("running_var").toTensor();
  s.count = bn.attr("num_batches_tracked").toTensor();
  const auto momentum = bn.type()->getConstant("momentum");
  if (!momentum.isNone()) s.factor = momentum.toDouble();
  return s;
}

}  // namespace

void recompute_script_batchnorm(NetworkImpl& net, const std::function<void(const std::function<void(torch::Tensor)>&)>& run_batches) {
  auto* s = as_script(net);
  if (!s || s->batchnorms.empty()) return;
  std::vector<ScriptBatchNorm> layers;
  std::vector<torch::Tensor> mean_sum, var_sum;
  for (const auto& bn : s->batchnorms) {
    layers.push_back(script_batchnorm(bn, s->file));
    mean_sum.push_back(torch::zeros_like(layers.back().mean));
    var_sum.push_back(torch::zeros_like(layers.back().var));
  }
  torch::NoGradGuard g;
  std::int64_t batches = 0;
  run_batches([&](torch::Tensor x) {
    for (auto& l : layers) {
      l.mean.zero_();
      l.var.zero_();
      l.count.zero_();  // a None momentum then weighs this batch 1/1
    }
    net.forward(std::move(x));
    for (std::size_t i = 0; i < layers.size(); ++i) {
      mean_sum[i] += layers[i].mean / layers[i].factor;
      var_sum[i] += layers[i].var / layers[i].factor;
    }
    ++batches;
  });
  if (batches == 0) return;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].mean.copy_(mean_sum[i] / static_cast<double>(batches));
    layers[i].var.copy_(var_sum[i] / static_cast<double>(batches));
    layers[i].count.fill_(batches);
  }
}

}  // namespace batchrmt::networks
