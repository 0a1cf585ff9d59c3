// The paper's architectures behind a handle that needs no LibTorch headers.
//
//   linear      multinomial logistic regression: one fully connected layer with bias on the
//               flattened input (`init zeros` starts it at w = 0, b = 0).
//   mlp         fully connected ReLU network with hidden widths `widths` (default 512, 256).
//   lenet       LeNet-5 style CNN: conv 5x5 (6, padding 2) - ReLU - maxpool 2 - conv 5x5 (16) -
//               ReLU - maxpool 2 - fc 120 - ReLU - fc 84 - ReLU - fc classes.
//   vgg16, vgg16bn
//               Simonyan & Zisserman (2015) configuration D for 32x32 inputs (13 conv 3x3 with
//               bias, [BN], ReLU, 5 max-pools), global average pool (identity at 32x32), then
//               head `linear` (512 -> classes, default; VGG-16-BN on CIFAR-100 has 14,774,436
//               parameters, "14.8 M") or head `swag` (the authors' code [CODE], SWAG's vgg.py:
//               dropout 0.5 - fc 512 - ReLU - dropout 0.5 - fc 512 - ReLU - fc classes, 15,299,748).
//               Conv weights N(0, 2 / (9 * out_channels)), biases 0 (as the authors' code).
//   wrn         WideResNet-depth-k (Zagoruyko & Komodakis 2016), pre-activation blocks as in the
//               authors' code (SWAG's wide_resnet.py [CODE]: conv biases, stride on the second
//               conv, 1x1 conv shortcut when the shape changes, final BN with momentum 0.9).
//               WRN-28-10 on CIFAR-100: 36,546,980 parameters ("36.5 M").
//   preresnet   pre-activation ResNet (He et al. 2016) for CIFAR: `block basic` (default, depth
//               6n+2; PreResNet-110 on CIFAR-100 has 1,736,372 parameters, "1.7 M") or `block
//               bottleneck` (depth 9n+2, what the authors' code builds for depth >= 44 [CODE];
//               PreResNet-110 then has 1,169,972). Conv weights N(0, 2 / (k*k*out_channels)).
// Aliases: wrn-28-10 (depth 28, width 10), preresnet-110 (depth 110), preresnet-164.
//   torchscript:FILE.pt
//               a module saved in Python by torch.jit.script or torch.jit.trace
//               (networks/torchscript_model.cpp; docs/networks.md, "TorchScript models"). Its
//               trainable parameters are the module's requires_grad parameters in its
//               named_parameters() order; floating parameters and buffers are converted to float32 on
//               loading, as the built-in models are built.
//
// Initialisation is deterministic: the module is built on the CPU after torch::manual_seed
// of the spec's seed (LibTorch's CPU generator, recorded as such), then moved to the device,
// so one seed gives the same initial weights on every device.
//
// Parameter order ("flattening order", docs/theory.md 5.2): the order in which the modules register
// their parameters (depth-first, in forward order), as `parameters()` lists them; the flat
// vector is their concatenation, each tensor in row-major (C) order.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace batchrmt::networks {

struct ModelSpec {
  std::string name = "lenet";  // linear | mlp | lenet | vgg16 | vgg16bn | wrn | preresnet | torchscript (or an alias)
  std::array<std::int64_t, 3> input_shape{1, 28, 28};
  std::int64_t classes = 10;
  std::vector<std::int64_t> widths;  // mlp hidden widths (empty: 512, 256)
  int depth = 0;                     // wrn / preresnet (0: 28 / 110)
  int width = 0;                     // wrn widening factor (0: 10)
  std::string block = "basic";       // preresnet: basic | bottleneck
  std::string head = "linear";       // vgg: linear | swag
  std::string init = "default";      // default | zeros (linear and mlp only)
  std::uint64_t seed = 0;
  std::string torchscript;              // torchscript: the module file (absolute once resolved)
  std::string torchscript_fingerprint;  // torchscript: content fingerprint of the file (set on loading)

  // Resolves aliases and defaults (wrn-28-10 -> wrn depth 28 width 10, torchscript:F -> torchscript
  // with file F); throws InvalidInput.
  ModelSpec resolved() const;
  // A canonical one-line description, e.g. "wrn depth=28 width=10 classes=100 input=3x32x32".
  std::string describe() const;
  // Key=value text that `parse` reads back (stored in checkpoints and HDF5).
  std::string serialize() const;
  static ModelSpec parse(const std::string& text);
};

std::vector<std::string> model_names();

struct ParameterInfo {
  std::string name;                 // e.g. "features.0.weight"
  std::vector<std::int64_t> shape;
  std::int64_t numel = 0;
  std::int64_t offset = 0;          // into the flat vector
};

struct ModelImpl;  // LibTorch module and device (networks/torch_bridge.hpp)

// A network: cheap to copy (copies share the module).
class Model {
 public:
  Model() = default;
  // Builds the network of `spec` with its deterministic initialisation on `device`
  // ("cpu", "cuda", "cuda:K"; checked by checked_device).
  static Model create(const ModelSpec& spec, const std::string& device = "cpu");

  const ModelSpec& spec() const;
  std::string device() const;
  std::int64_t parameter_count() const;
  std::vector<ParameterInfo> parameters() const;  // in flattening order
  // Parameters concatenated in flattening order, as double.
  std::vector<double> flat_parameters() const;
  void set_flat_parameters(const std::vector<double>& w);
  // BatchNorm (and dropout) mode: train uses batch statistics, eval running statistics (5.3).
  void set_training(bool training);
  bool is_training() const;
  bool has_batchnorm() const;
  // Forward pass of n items given as floats (n * C*H*W, the Transform's output) -> n x classes
  // logits, in eval or train mode as set. For tests and small tools; training uses tensors.
  std::vector<float> forward(const std::vector<float>& inputs, std::int64_t n) const;
  // Layer-by-layer text (LibTorch's module printout) and the parameter count.
  std::string summary() const;

  ModelImpl& impl() const { return *impl_; }
  explicit operator bool() const { return static_cast<bool>(impl_); }

 private:
  std::shared_ptr<ModelImpl> impl_;
};

}  // namespace batchrmt::networks
