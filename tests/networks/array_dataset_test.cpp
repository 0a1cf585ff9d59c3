// --dataset arrays: the networks side (ArrayData -> DataSplits), the CLI's glue that reads the
// --data file through outputs/ (verify/array_dataset.cpp), and lenet on 1 x 28 x 28 arrays.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "verify/array_dataset.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/training.hpp"
#include "tests/networks/test_support.hpp"
#include "tests/networks/training_support.hpp"

namespace nw = batchrmt::networks;
using batchrmt::InvalidInput;
using batchrmt::testing::ScratchDir;

namespace {

// n items of 1 x 28 x 28 drawn from N(0, 1) with `seed`, labels i mod 10.
void fill_images(std::vector<float>& x, std::vector<std::int64_t>& y, std::size_t n, std::uint64_t seed) {
  std::vector<double> v(n * 784);
  batchrmt::RandomStream(seed, 1).fill_normal(v.data(), v.size());
  x.assign(v.begin(), v.end());
  y.resize(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<std::int64_t>(i % 10);
}

nw::DataOptions image_arrays(std::size_t n_train, std::size_t n_test) {
  auto a = std::make_shared<nw::ArrayData>();
  a->shape = {1, 28, 28};
  a->classes = 10;
  a->source = "(in memory)";
  fill_images(a->x, a->y, n_train, 3);
  fill_images(a->x_test, a->y_test, n_test, 4);
  nw::DataOptions o;
  o.name = "arrays";
  o.arrays = a;
  return o;
}

template <typename F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  ADD_FAILURE() << "not refused";
  return {};
}

}  // namespace

TEST(ArrayDataset, SplitsHoldTheArraysItemsAsGiven) {
  const auto o = image_arrays(12, 5);
  const auto s = nw::load_dataset(o);
  EXPECT_EQ(s.train.name(), "arrays/train");
  ASSERT_EQ(s.train.size(), 12u);
  ASSERT_EQ(s.test.size(), 5u);
  EXPECT_EQ(s.train.input_shape(), (std::array<std::int64_t, 3>{1, 28, 28}));
  EXPECT_EQ(s.train.classes(), 10);
  EXPECT_FALSE(s.train.is_image());
  EXPECT_FALSE(s.train_transform.augment);
  std::vector<float> item(784);
  for (const std::size_t i : {0u, 7u, 11u}) {
    s.train.item(i, s.train_transform, item.data());
    EXPECT_TRUE(std::equal(item.begin(), item.end(), o.arrays->x.begin() + static_cast<std::ptrdiff_t>(i * 784))) << i;
    EXPECT_EQ(s.train.label(i), static_cast<std::int64_t>(i % 10));
  }
  s.test.item(4, s.test_transform, item.data());
  EXPECT_TRUE(std::equal(item.begin(), item.end(), o.arrays->x_test.begin() + 4 * 784));
  const auto sig = nw::dataset_signature(o);
  EXPECT_EQ(sig.input_shape, (std::array<std::int64_t, 3>{1, 28, 28}));
  EXPECT_EQ(sig.classes, 10);
}

TEST(ArrayDataset, PerChannelNormalisationUsesTheTrainingArrays) {
  auto o = image_arrays(6, 2);
  o.normalize = nw::Normalize::per_channel;
  const auto s = nw::load_dataset(o);
  double sum = 0.0;
  for (const float v : o.arrays->x) sum += v;
  ASSERT_EQ(s.train_transform.mean.size(), 1u);
  EXPECT_NEAR(s.train_transform.mean[0], sum / static_cast<double>(o.arrays->x.size()), 1e-6);
  EXPECT_EQ(s.test_transform.mean, s.train_transform.mean);
}

TEST(ArrayDataset, WithoutTestArraysTheTestSplitIsEmptyAndNotMeasured) {
  auto o = image_arrays(8, 0);
  const auto s = nw::load_dataset(o);
  EXPECT_EQ(s.test.size(), 0u);
  EXPECT_EQ(s.test.input_shape(), s.train.input_shape());
  nw::ModelSpec spec;
  spec.name = "linear";
  auto model = nw::Model::create(spec);
  const auto e = nw::evaluate(model, s.test, s.test_transform, 4);
  EXPECT_TRUE(std::isnan(e.loss));
  EXPECT_TRUE(std::isnan(e.accuracy));
  o.test_subset = 2;
  EXPECT_NE(refusal([&] { nw::load_dataset(o); }).find("the test split has only 0 items"), std::string::npos);
}

// Labels 1 where the first feature is positive: a linear model learns it, and the missing test
// split is recorded as not measured.
TEST(ArrayDataset, TrainingWithoutTestArraysLearnsAndRecordsNanTestMetrics) {
  auto a = std::make_shared<nw::ArrayData>();
  a->shape = {1, 1, 8};
  a->classes = 2;
  std::vector<double> v(256 * 8);
  batchrmt::RandomStream(11, 0).fill_normal(v.data(), v.size());
  a->x.assign(v.begin(), v.end());
  for (std::size_t i = 0; i < 256; ++i) a->y.push_back(v[i * 8] > 0 ? 1 : 0);
  nw::DataOptions d;
  d.name = "arrays";
  d.arrays = a;
  const auto data = nw::load_dataset(d);
  nw::ModelSpec s;
  s.name = "linear";
  s.input_shape = a->shape;
  s.classes = 2;
  s.init = "zeros";
  auto model = nw::Model::create(s);
  const auto r = nw::train(model, data, batchrmt::testing::constant_rate_run(3, 32, 0.1, 2));
  ASSERT_EQ(r.status, nw::TrainStatus::complete);
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_LT(r.history.back().train_loss, 0.5 * std::log(2.0));  // half the loss of the zero model
  EXPECT_TRUE(std::isnan(r.history.back().test_loss));
  EXPECT_TRUE(std::isnan(r.history.back().test_accuracy));
}

TEST(ArrayDataset, MissingArraysAndAugmentationAreRefused) {
  nw::DataOptions o;
  o.name = "arrays";
  EXPECT_NE(refusal([&] { nw::load_dataset(o); }).find("give --data PATH"), std::string::npos);
  EXPECT_NE(refusal([&] { nw::dataset_signature(o); }).find("give --data PATH"), std::string::npos);
  o = image_arrays(2, 1);
  o.augment = "on";
  EXPECT_NE(refusal([&] { nw::load_dataset(o); }).find("augment is on, but the arrays dataset"), std::string::npos);
  o.name = "mnist";
  EXPECT_NE(refusal([&] { nw::load_dataset(o); }).find("synthetic or arrays"), std::string::npos);
}

TEST(ArrayDataset, LenetRunsOnImageArrays) {
  const auto s = nw::load_dataset(image_arrays(4, 1));
  nw::ModelSpec spec;
  spec.name = "lenet";
  spec.input_shape = s.train.input_shape();
  spec.classes = s.train.classes();
  spec.seed = 5;
  const auto model = nw::Model::create(spec);
  std::vector<float> x(4 * 784);
  s.train.items({0, 1, 2, 3}, s.train_transform, x.data());
  const auto logits = model.forward(x, 4);
  ASSERT_EQ(logits.size(), 40u);
  for (const float v : logits) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NE(logits[0], logits[10]);  // different items, different outputs
}

TEST(ArrayDatasetFiles, TheCliReadsHdf5AndNpzFilesIntoTheSplits) {
  ScratchDir d("arrays");
  std::ofstream(d / "make.py") << "import h5py, numpy as np\n"
                                  "x = ((np.arange(3 * 5) % 7) * 0.5 - 1).reshape(3, 5)\n"
                                  "with h5py.File('" << (d / "f.h5") << "', 'w') as f:\n"
                                  "    f['x'] = x\n"
                                  "    f['y'] = np.array([2, 0, 1], 'i2')\n"
                                  "np.savez_compressed('" << (d / "f.npz") << "', x=x.astype('f4').reshape(3, 1, 1, 5), "
                                  "y=np.array([2, 0, 1]), x_test=x[:1].astype('f4').reshape(1, 1, 1, 5), y_test=[1])\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (d / "make.py")).c_str()), 0);
  for (const char* name : {"f.h5", "f.npz"}) {
    nw::DataOptions o;
    o.name = "arrays";
    o.data_file = d / name;
    batchrmt::verify::load_array_dataset(o);
    const auto s = nw::load_dataset(o);
    EXPECT_EQ(s.train.input_shape(), (std::array<std::int64_t, 3>{1, 1, 5})) << name;
    EXPECT_EQ(s.train.classes(), 3) << name;
    EXPECT_EQ(s.train.labels(), (std::vector<std::int64_t>{2, 0, 1})) << name;
    std::vector<float> item(5);
    s.train.item(2, s.train_transform, item.data());
    for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(item[k], static_cast<float>(((10 + k) % 7) * 0.5 - 1)) << name << k;
    EXPECT_NE(s.description.find(o.data_file), std::string::npos) << s.description;
  }
  nw::DataOptions o;
  o.name = "arrays";
  EXPECT_NE(refusal([&] { batchrmt::verify::load_array_dataset(o); }).find("--dataset arrays needs --data PATH"),
            std::string::npos);
  o.name = "fashion-mnist";
  o.data_file = d / "f.h5";
  EXPECT_NE(refusal([&] { batchrmt::verify::load_array_dataset(o); }).find("it is read only with --dataset arrays"),
            std::string::npos);
}
