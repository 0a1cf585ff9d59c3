// The architectures (LibTorch modules) and the Model handle (the batch and BatchNorm helpers
// of torch_bridge.hpp are in networks/batch_tensors.cpp). Parameter counts quoted here are derived by this code and cross-checked
// with the same definitions in PyTorch (benchmarks/networks_pytorch_compare.py --count).
#include <array>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/torchscript_network.hpp"

namespace batchrmt::networks {

namespace nn = torch::nn;

// ---------------------------------------------------------------- spec

std::vector<std::string> model_names() {
  return {"linear", "mlp", "lenet", "vgg16", "vgg16bn", "wrn", "wrn-28-10", "preresnet", "preresnet-110",
          "preresnet-164", "torchscript"};
}

namespace {
constexpr const char* kTorchScriptPrefix = "torchscript:";

// torchscript:FILE -> name torchscript, the file as an absolute path.
void resolve_torchscript(ModelSpec& s) {
  const std::string prefix = kTorchScriptPrefix;
  if (s.name.compare(0, prefix.size(), prefix) == 0) {
    s.torchscript = s.name.substr(prefix.size());
    s.name = "torchscript";
  }
  if (s.name != "torchscript") {
    if (!s.torchscript.empty()) throw InvalidInput("a TorchScript file applies to --model torchscript:FILE only, not to " + s.name + ".");
    return;
  }
  if (s.torchscript.empty())
    throw InvalidInput("--model torchscript needs a file: --model torchscript:FILE.pt (saved by torch.jit.script or torch.jit.trace).");
  if (s.torchscript.find(';') != std::string::npos)
    throw InvalidInput("the TorchScript file name '" + s.torchscript + "' contains ';', which batchrmt's model records do not allow.");
  s.torchscript = std::filesystem::absolute(s.torchscript).lexically_normal().string();
}
}  // namespace

ModelSpec ModelSpec::resolved() const {
  ModelSpec s = *this;
  resolve_torchscript(s);
  if (s.name == "wrn-28-10") {
    s.name = "wrn";
    if (s.depth == 0) s.depth = 28;
    if (s.width == 0) s.width = 10;
  } else if (s.name == "preresnet-110" || s.name == "preresnet-164") {
    const int d = s.name == "preresnet-110" ? 110 : 164;
    s.name = "preresnet";
    if (s.depth == 0) s.depth = d;
    if (d == 164 && s.block == "basic") s.block = "bottleneck";
  } else if (s.name == "vgg16-bn") {
    s.name = "vgg16bn";
  }
  const auto& names = model_names();
  if (std::find(names.begin(), names.end(), s.name) == names.end())
    throw InvalidInput("model is '" + name +
                       "', but must be linear, mlp, lenet, vgg16, vgg16bn, wrn (wrn-28-10), preresnet "
                       "(preresnet-110, preresnet-164) or torchscript:FILE.pt.");
  check_at_least("model", "classes", s.classes, std::int64_t{2});
  for (auto v : s.input_shape) check_at_least("model", "input dimension", v, std::int64_t{1});
  if (s.name == "wrn") {
    if (s.depth == 0) s.depth = 28;
    if (s.width == 0) s.width = 10;
    if (s.depth < 10 || (s.depth - 4) % 6 != 0)
      throw InvalidInput("wrn depth is " + std::to_string(s.depth) + ", but must be 6n+4 with n >= 1 (10, 16, 22, 28, ...).");
    check_at_least("model", "wrn width", s.width, 1);
  } else if (s.name == "preresnet") {
    if (s.depth == 0) s.depth = 110;
    if (s.block == "basic") {
      if (s.depth < 8 || (s.depth - 2) % 6 != 0)
        throw InvalidInput("preresnet depth is " + std::to_string(s.depth) +
                           ", but basic blocks need 6n+2 with n >= 1 (8, 20, 56, 110, ...).");
    } else if (s.block == "bottleneck") {
      if (s.depth < 11 || (s.depth - 2) % 9 != 0)
        throw InvalidInput("preresnet depth is " + std::to_string(s.depth) +
                           ", but bottleneck blocks need 9n+2 with n >= 1 (11, 56, 110, 164, ...).");
    } else {
      throw InvalidInput("preresnet block is '" + s.block + "', but must be basic or bottleneck.");
    }
  } else {
    if (s.depth != 0) throw InvalidInput("--depth applies to wrn and preresnet only, not to " + s.name + ".");
    if (s.width != 0) throw InvalidInput("--width applies to wrn only, not to " + s.name + ".");
  }
  if (s.name == "mlp" && s.widths.empty()) s.widths = {512, 256};
  if (s.name != "mlp" && !s.widths.empty()) throw InvalidInput("--widths applies to mlp only, not to " + s.name + ".");
  for (auto w : s.widths) check_at_least("model", "mlp width", w, std::int64_t{1});
  if (s.head != "linear" && s.head != "swag")
    throw InvalidInput("vgg head is '" + s.head + "', but must be linear or swag.");
  if (s.init != "default" && s.init != "zeros")
    throw InvalidInput("init is '" + s.init + "', but must be default or zeros.");
  if (s.init == "zeros" && s.name != "linear")
    throw InvalidInput("init zeros is available for linear only (a network with hidden units started at zero "
                       "stays symmetric), not for " + s.name + ".");
  if (s.name == "lenet" && (s.input_shape[1] < 12 || s.input_shape[2] < 12))
    throw InvalidInput("lenet needs inputs of at least 12 x 12 pixels, not " + std::to_string(s.input_shape[1]) +
                       " x " + std::to_string(s.input_shape[2]) + ".");
  if ((s.name == "vgg16" || s.name == "vgg16bn") && (s.input_shape[1] < 32 || s.input_shape[2] < 32))
    throw InvalidInput(s.name + " has five 2x2 max-pools and needs inputs of at least 32 x 32 pixels, not " +
                       std::to_string(s.input_shape[1]) + " x " + std::to_string(s.input_shape[2]) +
                       " (use lenet or mlp for Fashion-MNIST).");
  if ((s.name == "wrn" || s.name == "preresnet") && (s.input_shape[1] < 8 || s.input_shape[2] < 8))
    throw InvalidInput(s.name + " needs inputs of at least 8 x 8 pixels.");
  return s;
}

std::string ModelSpec::describe() const {
  const ModelSpec s = resolved();
  std::ostringstream os;
  os << s.name;
  if (s.name == "wrn") os << " depth=" << s.depth << " width=" << s.width;
  if (s.name == "preresnet") os << " depth=" << s.depth << " block=" << s.block;
  if (s.name == "vgg16" || s.name == "vgg16bn") os << " head=" << s.head;
  if (s.name == "torchscript") os << " file=" << s.torchscript;
  if (s.name == "mlp") {
    os << " widths=";
    for (std::size_t i = 0; i < s.widths.size(); ++i) os << (i ? "," : "") << s.widths[i];
  }
  if (s.init != "default") os << " init=" << s.init;
  os << " classes=" << s.classes << " input=" << s.input_shape[0] << "x" << s.input_shape[1] << "x"
     << s.input_shape[2];
  return os.str();
}

std::string ModelSpec::serialize() const {
  std::ostringstream os;
  os << "name=" << name << ";input=" << input_shape[0] << "," << input_shape[1] << "," << input_shape[2]
     << ";classes=" << classes << ";widths=";
  for (std::size_t i = 0; i < widths.size(); ++i) os << (i ? "," : "") << widths[i];
  os << ";depth=" << depth << ";width=" << width << ";block=" << block << ";head=" << head << ";init=" << init
     << ";seed=" << seed;
  if (!torchscript.empty()) os << ";torchscript=" << torchscript << ";torchscript_fingerprint=" << torchscript_fingerprint;
  return os.str();
}

namespace {
std::vector<std::int64_t> parse_ints(const std::string& s) {
  std::vector<std::int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(std::stoll(item));
  return out;
}
}  // namespace

ModelSpec ModelSpec::parse(const std::string& text) {
  ModelSpec s;
  std::stringstream ss(text);
  std::string kv;
  try {
    while (std::getline(ss, kv, ';')) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (k == "name") s.name = v;
      else if (k == "input") {
        const auto d = parse_ints(v);
        if (d.size() != 3) throw InvalidInput("bad input shape");
        s.input_shape = {d[0], d[1], d[2]};
      } else if (k == "classes") s.classes = std::stoll(v);
      else if (k == "widths") s.widths = parse_ints(v);
      else if (k == "depth") s.depth = std::stoi(v);
      else if (k == "width") s.width = std::stoi(v);
      else if (k == "block") s.block = v;
      else if (k == "head") s.head = v;
      else if (k == "init") s.init = v;
      else if (k == "seed") s.seed = std::stoull(v);
      else if (k == "torchscript") s.torchscript = v;
      else if (k == "torchscript_fingerprint") s.torchscript_fingerprint = v;
    }
  } catch (const std::exception&) {
    throw InvalidInput("the model description '" + text + "' is not one batchrmt wrote.");
  }
  return s;
}

// ---------------------------------------------------------------- modules

namespace {

void kaiming_conv_init(nn::Conv2dImpl& conv) {
  // N(0, 2 / (k_h k_w out_channels)) as the authors' VGG and PreResNet code.
  const auto& w = conv.weight;
  const double n = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
  torch::NoGradGuard g;
  w.normal_(0.0, std::sqrt(2.0 / n));
  if (conv.bias.defined()) conv.bias.zero_();
}

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

struct LinearNetImpl : NetworkImpl {
  nn::Linear fc{nullptr};
  LinearNetImpl(const ModelSpec& s) {
    fc = register_module("fc", nn::Linear(s.input_shape[0] * s.input_shape[1] * s.input_shape[2], s.classes));
    if (s.init == "zeros") {
      torch::NoGradGuard g;
      fc->weight.zero_();
      fc->bias.zero_();
    }
  }
  torch::Tensor forward(torch::Tensor x) override { return fc(x.flatten(1)); }
};

struct MlpImpl : NetworkImpl {
  nn::Sequential layers;
  MlpImpl(const ModelSpec& s) {
    std::int64_t in = s.input_shape[0] * s.input_shape[1] * s.input_shape[2];
    for (auto w : s.widths) {
      layers->push_back(nn::Linear(in, w));
      layers->push_back(nn::ReLU());
      in = w;
    }
    layers->push_back(nn::Linear(in, s.classes));
    register_module("layers", layers);
  }
  torch::Tensor forward(torch::Tensor x) override { return layers->forward(x.flatten(1)); }
};

struct LeNetImpl : NetworkImpl {
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  LeNetImpl(const ModelSpec& s) {
    conv1 = register_module("conv1", conv(s.input_shape[0], 6, 5, 1, 2, true));
    conv2 = register_module("conv2", conv(6, 16, 5, 1, 0, true));
    const std::int64_t h = (s.input_shape[1] / 2 - 4) / 2, w = (s.input_shape[2] / 2 - 4) / 2;
    fc1 = register_module("fc1", nn::Linear(16 * h * w, 120));
    fc2 = register_module("fc2", nn::Linear(120, 84));
    fc3 = register_module("fc3", nn::Linear(84, s.classes));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);
    x = torch::relu(fc1(x.flatten(1)));
    x = torch::relu(fc2(x));
    return fc3(x);
  }
};

struct VggImpl : NetworkImpl {
  nn::Sequential features, classifier;
  VggImpl(const ModelSpec& s) {
    const bool bn = s.name == "vgg16bn";
    const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    std::int64_t in = s.input_shape[0];
    for (int v : cfg) {
      if (v == 0) {
        features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      } else {
        auto c = conv(in, v, 3, 1, 1, true);
        kaiming_conv_init(*c);
        features->push_back(c);
        if (bn) features->push_back(nn::BatchNorm2d(v));
        features->push_back(nn::ReLU());
        in = v;
      }
    }
    if (s.head == "swag") {
      classifier->push_back(nn::Dropout(0.5));
      classifier->push_back(nn::Linear(512, 512));
      classifier->push_back(nn::ReLU());
      classifier->push_back(nn::Dropout(0.5));
      classifier->push_back(nn::Linear(512, 512));
      classifier->push_back(nn::ReLU());
    }
    classifier->push_back(nn::Linear(512, s.classes));
    register_module("features", features);
    register_module("classifier", classifier);
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = features->forward(x);
    if (x.size(2) != 1 || x.size(3) != 1) x = torch::adaptive_avg_pool2d(x, {1, 1});
    return classifier->forward(x.flatten(1));
  }
};

// Pre-activation wide block of the authors' code: BN-ReLU-conv3x3 - BN-ReLU-conv3x3(stride),
// plus x or a 1x1 conv of x.
struct WideBasicImpl : nn::Module {
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  WideBasicImpl(std::int64_t in, std::int64_t planes, std::int64_t stride) {
    bn1 = register_module("bn1", nn::BatchNorm2d(in));
    conv1 = register_module("conv1", conv(in, planes, 3, 1, 1, true));
    bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, true));
    if (stride != 1 || in != planes) shortcut = register_module("shortcut", conv(in, planes, 1, stride, 0, true));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto out = conv1(torch::relu(bn1(x)));
    out = conv2(torch::relu(bn2(out)));
    return out + (shortcut ? shortcut(x) : x);
  }
};
TORCH_MODULE(WideBasic);

// The stem and the three stages of a CIFAR residual network: conv1 (16 channels), then
// layer1..layer3 with strides 1, 2, 2. Each subclass registers them in this order before its own
// head, so parameter names and order are those of the authors' code.
struct CifarResNetImpl : NetworkImpl {
  nn::Conv2d conv1{nullptr};
  nn::Sequential layer1, layer2, layer3;

  // conv1 and the stages of `blocks` blocks, block(in, planes, stride) with planes x expansion
  // output channels. Returns the channels out of the last stage.
  template <class Block>
  std::int64_t add_stem_and_stages(std::int64_t channels, bool conv_bias, std::array<std::int64_t, 3> planes, int blocks,
                                   std::int64_t expansion, const Block& block) {
    conv1 = register_module("conv1", conv(channels, 16, 3, 1, 1, conv_bias));
    nn::Sequential* layers[] = {&layer1, &layer2, &layer3};
    const std::int64_t strides[] = {1, 2, 2};
    std::int64_t in = 16;
    for (int g = 0; g < 3; ++g) {
      for (int b = 0; b < blocks; ++b) {
        (*layers[g])->push_back(block(in, planes[g], b == 0 ? strides[g] : 1));
        in = planes[g] * expansion;
      }
      register_module("layer" + std::to_string(g + 1), *layers[g]);
    }
    return in;
  }
  torch::Tensor stages(torch::Tensor x) { return layer3->forward(layer2->forward(layer1->forward(conv1(x)))); }
};

struct WideResNetImpl : CifarResNetImpl {
  nn::BatchNorm2d bn1{nullptr};
  nn::Linear linear{nullptr};
  WideResNetImpl(const ModelSpec& s) {
    const int n = (s.depth - 4) / 6;
    const std::int64_t k = s.width;
    const std::int64_t in = add_stem_and_stages(s.input_shape[0], true, {16 * k, 32 * k, 64 * k}, n, 1,
                                                [](std::int64_t i, std::int64_t p, std::int64_t st) { return WideBasic(i, p, st); });
    // momentum 0.9 in PyTorch's convention (weight of the new batch), as the authors' code.
    bn1 = register_module("bn1", nn::BatchNorm2d(nn::BatchNorm2dOptions(in).momentum(0.9)));
    linear = register_module("linear", nn::Linear(in, s.classes));
    // The authors' conv_init: Xavier uniform with gain sqrt(2), bias 0, for every conv.
    torch::NoGradGuard g;
    for (auto& m : modules(/*include_self=*/false))
      if (auto* c = m->as<nn::Conv2d>()) {
        nn::init::xavier_uniform_(c->weight, std::sqrt(2.0));
        c->bias.zero_();
      }
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto out = stages(x);
    out = torch::relu(bn1(out));
    out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
    return linear(out);
  }
};

struct PreActBlockImpl : nn::Module {
  bool bottleneck;
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, downsample{nullptr};
  PreActBlockImpl(std::int64_t in, std::int64_t planes, std::int64_t stride, bool bottleneck_) : bottleneck(bottleneck_) {
    const std::int64_t out = bottleneck ? planes * 4 : planes;
    bn1 = register_module("bn1", nn::BatchNorm2d(in));
    if (!bottleneck) {
      conv1 = register_module("conv1", conv(in, planes, 3, stride, 1, false));
      bn2 = register_module("bn2", nn::BatchNorm2d(planes));
      conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1, false));
    } else {
      conv1 = register_module("conv1", conv(in, planes, 1, 1, 0, false));
      bn2 = register_module("bn2", nn::BatchNorm2d(planes));
      conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, false));
      bn3 = register_module("bn3", nn::BatchNorm2d(planes));
      conv3 = register_module("conv3", conv(planes, out, 1, 1, 0, false));
    }
    if (stride != 1 || in != out) downsample = register_module("downsample", conv(in, out, 1, stride, 0, false));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto out = conv1(torch::relu(bn1(x)));
    out = conv2(torch::relu(bn2(out)));
    if (bottleneck) out = conv3(torch::relu(bn3(out)));
    return out + (downsample ? downsample(x) : x);
  }
};
TORCH_MODULE(PreActBlock);

struct PreResNetImpl : CifarResNetImpl {
  nn::BatchNorm2d bn{nullptr};
  nn::Linear fc{nullptr};
  PreResNetImpl(const ModelSpec& s) {
    const bool bottleneck = s.block == "bottleneck";
    const int n = bottleneck ? (s.depth - 2) / 9 : (s.depth - 2) / 6;
    const std::int64_t expansion = bottleneck ? 4 : 1;
    const std::int64_t in = add_stem_and_stages(
        s.input_shape[0], false, {16, 32, 64}, n, expansion,
        [bottleneck](std::int64_t i, std::int64_t p, std::int64_t st) { return PreActBlock(i, p, st, bottleneck); });
    bn = register_module("bn", nn::BatchNorm2d(in));
    fc = register_module("fc", nn::Linear(in, s.classes));
    for (auto& m : modules(/*include_self=*/false))
      if (auto* c = m->as<nn::Conv2d>()) kaiming_conv_init(*c);
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto out = stages(x);
    out = torch::relu(bn(out));
    out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
    return fc(out);
  }
};

std::shared_ptr<NetworkImpl> build(const ModelSpec& s) {
  if (s.name == "linear") return std::make_shared<LinearNetImpl>(s);
  if (s.name == "mlp") return std::make_shared<MlpImpl>(s);
  if (s.name == "lenet") return std::make_shared<LeNetImpl>(s);
  if (s.name == "vgg16" || s.name == "vgg16bn") return std::make_shared<VggImpl>(s);
  if (s.name == "wrn") return std::make_shared<WideResNetImpl>(s);
  if (s.name == "preresnet") return std::make_shared<PreResNetImpl>(s);
  throw InvalidInput("model is '" + s.name + "', which batchrmt does not build.");
}

}  // namespace

// ---------------------------------------------------------------- Model

Model Model::create(const ModelSpec& spec_in, const std::string& device) {
  const ModelSpec spec = spec_in.resolved();
  const std::string dev = checked_device(device);
  auto impl = std::make_shared<ModelImpl>();
  impl->spec = spec;
  impl->device = torch::Device(dev);
  torch::manual_seed(spec.seed);
  if (spec.name == "torchscript") {
    impl->net = load_torchscript_network(impl->spec, impl->device);  // the file's weights, on the device
  } else {
    // Built on the CPU in fp32 so one seed gives one initialisation on every device.
    impl->net = build(spec);
  }
  impl->net->to(impl->device);
  impl->net->train();
  Model m;
  m.impl_ = impl;
  return m;
}

const ModelSpec& Model::spec() const { return impl_->spec; }
std::string Model::device() const { return impl_->device.str(); }

std::int64_t Model::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

std::vector<ParameterInfo> Model::parameters() const {
  std::vector<ParameterInfo> out;
  std::int64_t offset = 0;
  for (const auto& item : impl_->net->named_parameters()) {
    ParameterInfo info;
    info.name = parameter_name(*impl_->net, item.key());
    info.shape = item.value().sizes().vec();
    info.numel = item.value().numel();
    info.offset = offset;
    offset += info.numel;
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<torch::Tensor> model_parameters(const Model& m) { return m.impl().net->parameters(); }

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}

std::vector<double> Model::flat_parameters() const {
  torch::NoGradGuard g;
  const auto w = flatten(model_parameters(*this)).to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
}

void Model::set_flat_parameters(const std::vector<double>& w) {
  if (static_cast<std::int64_t>(w.size()) != parameter_count())
    throw InvalidInput("set_flat_parameters: got " + std::to_string(w.size()) + " values, but the model has " +
                       std::to_string(parameter_count()) + " parameters.");
  torch::NoGradGuard g;
  const auto all = torch::from_blob(const_cast<double*>(w.data()), {static_cast<std::int64_t>(w.size())}, torch::kDouble);
  std::int64_t offset = 0;
  for (auto& p : model_parameters(*this)) {
    p.copy_(all.slice(0, offset, offset + p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

void Model::set_training(bool training) { impl_->net->train(training); }
bool Model::is_training() const { return impl_->net->is_training(); }

bool Model::has_batchnorm() const {
  for (const auto& m : impl_->net->modules(false))
    if (m->as<nn::BatchNorm2d>() || m->as<nn::BatchNorm1d>()) return true;
  return has_script_batchnorm(*impl_->net);
}

std::vector<float> Model::forward(const std::vector<float>& inputs, std::int64_t n) const {
  const auto& s = impl_->spec.input_shape;
  if (static_cast<std::int64_t>(inputs.size()) != n * s[0] * s[1] * s[2])
    throw InvalidInput("Model::forward: got " + std::to_string(inputs.size()) + " floats for " + std::to_string(n) +
                       " items of " + std::to_string(s[0] * s[1] * s[2]) + ".");
  torch::NoGradGuard g;
  auto x = torch::from_blob(const_cast<float*>(inputs.data()), {n, s[0], s[1], s[2]}, torch::kFloat)
               .to(impl_->device);
  const auto y = impl_->net->forward(x).to(torch::kCPU).contiguous();
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

std::string Model::summary() const {
  std::ostringstream os;
  os << *impl_->net << "\n";
  os << impl_->spec.describe() << ": " << parameter_count() << " parameters";
  return os.str();
}

}  // namespace batchrmt::networks
