// Loaders against tiny generated files with known content (and malformed ones), the real
// Fashion-MNIST files, transforms and the synthetic teacher-student set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/datasets.hpp"
#include "tests/networks/test_support.hpp"

namespace nw = batchrmt::networks;
namespace fs = std::filesystem;
using batchrmt::testing::ScratchDir;

namespace {

// Expects `f` to throw E whose message contains every string of `parts`.
template <typename E, typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string m = e.what();
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "message: " << m << "\nmissing: " << p;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void write_fashion_dir(const ScratchDir& d, std::uint32_t n_train = 5, std::uint32_t n_test = 3) {
  using namespace batchrmt::testing;
  write_gz(d / "train-images-idx3-ubyte.gz", idx_images(n_train, 28, 28));
  write_gz(d / "t10k-images-idx3-ubyte.gz", idx_images(n_test, 28, 28));
  std::vector<std::uint8_t> tl(n_train), sl(n_test);
  for (std::uint32_t i = 0; i < n_train; ++i) tl[i] = static_cast<std::uint8_t>((i * 3) % 10);
  for (std::uint32_t i = 0; i < n_test; ++i) sl[i] = static_cast<std::uint8_t>(9 - i % 10);
  write_gz(d / "train-labels-idx1-ubyte.gz", idx_labels(tl));
  write_gz(d / "t10k-labels-idx1-ubyte.gz", idx_labels(sl));
}

}  // namespace

TEST(IdxLoader, ReadsPixelsLabelsAndOrderOfGeneratedFiles) {
  ScratchDir d("idx");
  write_fashion_dir(d);
  const auto train = nw::load_fashion_mnist(d.path.string(), "train");
  ASSERT_EQ(train.size(), 5u);
  EXPECT_EQ(train.classes(), 10);
  EXPECT_EQ(train.input_shape(), (std::array<std::int64_t, 3>{1, 28, 28}));
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(train.label(i), static_cast<std::int64_t>((i * 3) % 10));
    const auto* px = train.pixels(i);
    EXPECT_EQ(px[0], (7 * i) % 256);
    EXPECT_EQ(px[2 * 28 + 5], (7 * i + 3 * 2 + 5) % 256);  // row 2, column 5
  }
  const auto test = nw::load_fashion_mnist(d.path.string(), "test");
  EXPECT_EQ(test.size(), 3u);
  EXPECT_EQ(test.label(0), 9);
  // pixel / 255 without normalisation
  std::vector<float> x(784);
  train.item(1, nw::Transform{}, x.data());
  EXPECT_FLOAT_EQ(x[28 * 3 + 4], static_cast<float>((7 + 9 + 4) % 256) / 255.0f);
}

TEST(IdxLoader, UncompressedFilesAreReadToo) {
  using namespace batchrmt::testing;
  ScratchDir d("idxraw");
  write_raw(d / "x-images", idx_images(2, 4, 3));
  std::int64_t n = 0, r = 0, c = 0;
  const auto px = nw::read_idx_images(d / "x-images", n, r, c);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(r, 4);
  EXPECT_EQ(c, 3);
  EXPECT_EQ(px.size(), 24u);
  EXPECT_EQ(px[12 + 3 * 2 + 1], (7 + 6 + 1) % 256);
}

TEST(IdxLoader, MalformedFilesGiveErrorsNamingFileAndProblem) {
  using namespace batchrmt::testing;
  ScratchDir d("idxbad");
  std::int64_t n, r, c;
  write_gz(d / "magic.gz", idx_images(2, 28, 28, 0x00000801u));
  expect_error<batchrmt::InvalidInput>([&] { nw::read_idx_images(d / "magic.gz", n, r, c); },
                                       {d / "magic.gz", "magic number 0x00000801", "0x00000803"});
  auto bytes = idx_images(3, 28, 28);
  bytes.resize(bytes.size() - 100);
  write_gz(d / "trunc.gz", bytes);
  expect_error<batchrmt::InvalidInput>([&] { nw::read_idx_images(d / "trunc.gz", n, r, c); },
                                  {d / "trunc.gz", "truncated", "3 images"});
  write_gz(d / "labels.gz", idx_labels({1, 2, 10}));
  expect_error<batchrmt::InvalidInput>([&] { nw::read_idx_labels(d / "labels.gz", 10); },
                                       {d / "labels.gz", "label 10 of item 2", "0..9"});
  write_gz(d / "labmagic.gz", idx_labels({1}, 0x00000803u));
  expect_error<batchrmt::InvalidInput>([&] { nw::read_idx_labels(d / "labmagic.gz", 10); },
                                       {d / "labmagic.gz", "magic"});
  // A gzip file whose compressed stream is cut short.
  {
    const auto good = idx_images(50, 28, 28);
    write_gz(d / "cut.gz", good);
    const auto size = fs::file_size(d / "cut.gz");
    fs::resize_file(d / "cut.gz", size / 2);
    EXPECT_THROW(nw::read_idx_images(d / "cut.gz", n, r, c), batchrmt::Error);
  }
  expect_error<batchrmt::InvalidInput>([&] { nw::read_idx_images(d / "absent.gz", n, r, c); }, {d / "absent.gz"});
  // Image and label counts that disagree.
  write_fashion_dir(d);
  write_gz(d / "train-labels-idx1-ubyte.gz", idx_labels({1, 2}));
  expect_error<batchrmt::InvalidInput>([&] { nw::load_fashion_mnist(d.path.string(), "train"); },
                                       {"5 images", "2 labels"});
}

TEST(IdxLoader, MissingFashionMnistNamesFileAndDebianPackage) {
  ScratchDir d("nofm");
  expect_error<batchrmt::InvalidInput>([&] { nw::load_fashion_mnist(d.path.string(), "train"); },
                                       {"train-images-idx3-ubyte.gz", "dataset-fashion-mnist"});
}

TEST(FashionMnist, RealFilesHaveThePublishedCountsAndFirstLabel) {
  if (!fs::exists(std::string(nw::kFashionMnistDefaultDir) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const auto train = nw::load_fashion_mnist("", "train");
  const auto test = nw::load_fashion_mnist("", "test");
  ASSERT_EQ(train.size(), 60000u);
  ASSERT_EQ(test.size(), 10000u);
  for (auto c : train.class_counts()) EXPECT_EQ(c, 6000);
  for (auto c : test.class_counts()) EXPECT_EQ(c, 1000);
  EXPECT_EQ(train.label(0), 9);  // the first training image is an ankle boot
  EXPECT_EQ(test.label(0), 9);
  // Per-channel statistics of the training set: mean 0.2860, sd 0.3530 (widely quoted values).
  std::vector<float> mean, sd;
  train.channel_statistics(mean, sd);
  EXPECT_NEAR(mean[0], 0.2860, 5e-4);
  EXPECT_NEAR(sd[0], 0.3530, 5e-4);
}

TEST(Cifar100Loader, ReadsLabelsPlanesAndOrder) {
  using namespace batchrmt::testing;
  ScratchDir d("cifar");
  write_raw(d / "train.bin", cifar_records(4));
  write_raw(d / "test.bin", cifar_records(2));
  const auto fine = nw::load_cifar100(d.path.string(), "train");
  ASSERT_EQ(fine.size(), 4u);
  EXPECT_EQ(fine.classes(), 100);
  EXPECT_EQ(fine.input_shape(), (std::array<std::int64_t, 3>{3, 32, 32}));
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(fine.label(i), static_cast<std::int64_t>((3 * i) % 100));
    EXPECT_EQ(fine.pixels(i)[0], i % 256);             // R plane, (0, 0)
    EXPECT_EQ(fine.pixels(i)[1024 + 33], (i + 1024 + 33) % 256);  // G plane, (1, 1)
  }
  const auto coarse = nw::load_cifar100(d.path.string(), "train", true);
  EXPECT_EQ(coarse.classes(), 20);
  EXPECT_EQ(coarse.label(3), 3);
  // The cifar-100-binary/ folder of the published archive is found too.
  fs::create_directories(d.path / "cifar-100-binary");
  fs::rename(d / "test.bin", d / "cifar-100-binary/test.bin");
  EXPECT_EQ(nw::load_cifar100(d.path.string(), "test").size(), 2u);
}

TEST(Cifar100Loader, MalformedFilesGiveErrorsNamingFileAndProblem) {
  using namespace batchrmt::testing;
  ScratchDir d("cifarbad");
  auto rec = cifar_records(3);
  rec.resize(rec.size() - 10);
  write_raw(d / "train.bin", rec);
  expect_error<batchrmt::InvalidInput>([&] { nw::load_cifar100(d.path.string(), "train"); },
                                       {d / "train.bin", "truncated", "3074-byte records"});
  rec = cifar_records(3);
  rec[3074 + 1] = 100;  // fine label of record 1
  write_raw(d / "train.bin", rec);
  expect_error<batchrmt::InvalidInput>([&] { nw::load_cifar100(d.path.string(), "train"); },
                                       {d / "train.bin", "record 1", "fine label 100"});
  write_raw(d / "train.bin", {});
  expect_error<batchrmt::InvalidInput>([&] { nw::load_cifar100(d.path.string(), "train"); }, {"empty"});
  expect_error<batchrmt::InvalidInput>([&] { nw::load_cifar100(d.path.string(), "test"); },
                                       {d / "test.bin", "does not exist", "cifar-100-binary"});
}

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
namespace {

void write_image_folder(const ScratchDir& d) { batchrmt::testing::write_image_folder(d.path); }
using batchrmt::testing::write_jpeg;

// 16 x 16 images, cached under d/cache.
nw::ImageFolderOptions sixteen_pixels_cached_in(const ScratchDir& d) {
  nw::ImageFolderOptions o;
  o.side = 16;
  o.cache_dir = d / "cache";
  return o;
}

}  // namespace

TEST(ImageFolderLoader, DecodesResizesLabelsAndCaches) {
  if (!nw::jpeg_decoding_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  ScratchDir d("jpeg");
  write_image_folder(d);
  nw::ImageFolderOptions o = sixteen_pixels_cached_in(d);
  const auto train = nw::load_image_folder(d.path.string(), "train", o);
  ASSERT_EQ(train.size(), 3u);
  EXPECT_EQ(train.classes(), 2);
  EXPECT_EQ(train.input_shape(), (std::array<std::int64_t, 3>{3, 16, 16}));
  // Sorted classes (n000, n001), sorted files within a class.
  EXPECT_EQ(train.label(0), 0);
  EXPECT_EQ(train.label(1), 0);
  EXPECT_EQ(train.label(2), 1);
  // Constant colours survive JPEG coding and resampling to within a few levels.
  const int expect[3][3] = {{200, 20, 20}, {20, 200, 20}, {20, 20, 200}};
  for (std::size_t i = 0; i < 3; ++i)
    for (int c = 0; c < 3; ++c)
      for (int k : {0, 7 * 16 + 9, 255}) EXPECT_NEAR(train.pixels(i)[c * 256 + k], expect[i][c], 4) << i << " " << c;
  ASSERT_TRUE(fs::exists(d / "cache/train-16.u8"));
  // Second load: from the cache (memory-mapped), the same bytes.
  const auto again = nw::load_image_folder(d.path.string(), "train", o);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(std::vector<std::uint8_t>(train.pixels(i), train.pixels(i) + 768),
              std::vector<std::uint8_t>(again.pixels(i), again.pixels(i) + 768));
  // A changed folder rebuilds the cache: a new image of class n001.
  write_jpeg((d.path / "train" / "n001" / "d.JPEG").string(), 20, 20, 0, 0, 0);
  o.threads = 2;  // decoding threads
  const auto grown = nw::load_image_folder(d.path.string(), "train", o);
  EXPECT_EQ(grown.size(), 4u);
  EXPECT_NEAR(grown.pixels(3)[0], 0, 4);
  // The 224-style centre crop path (side > 64): shorter side to side*256/224, then the centre.
  o.side = 80;
  o.use_cache = false;
  const auto big = nw::load_image_folder(d.path.string(), "val", o);
  EXPECT_EQ(big.input_shape(), (std::array<std::int64_t, 3>{3, 80, 80}));
  EXPECT_NEAR(big.pixels(2)[2 * 6400 + 40 * 80 + 40], 200, 4);
}

TEST(ImageFolderLoader, UnreadableJpegAndEmptyClassGiveClearErrors) {
  if (!nw::jpeg_decoding_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  ScratchDir d("jpegbad");
  write_image_folder(d);
  batchrmt::testing::write_raw((d.path / "train" / "n001" / "broken.JPEG").string(), {'n', 'o', 't', ' ', 'j', 'p', 'g'});
  nw::ImageFolderOptions o;
  o.side = 16;
  o.use_cache = false;
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder(d.path.string(), "train", o); },
                                       {"broken.JPEG", "not a readable JPEG"});
  fs::create_directories(d.path / "val" / "n002");
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder(d.path.string(), "val", o); },
                                       {(d.path / "val" / "n002").string(), "is not a class of", "n000 .. n001"});
  fs::remove(d.path / "train" / "n001" / "broken.JPEG");
  fs::create_directories(d.path / "train" / "n002");
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder(d.path.string(), "train", o); },
                                       {"n002", "contains no .JPEG files"});
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder((d.path / "nothing").string(), "train", o); },
                                       {"does not exist", "ImageFolder"});
  fs::create_directories(d.path / "train2" / "train");
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder((d.path / "train2").string(), "train", o); },
                                       {"no class sub-folders"});
}

TEST(ImageFolderLoader, ValLabelsFollowTrainsClassListWhenValLacksAClass) {
  if (!nw::jpeg_decoding_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  ScratchDir d("jpegval");
  write_image_folder(d);
  fs::remove_all(d.path / "val" / "n000");  // val/ holds only the second class
  nw::ImageFolderOptions o = sixteen_pixels_cached_in(d);
  const auto val = nw::load_image_folder(d.path.string(), "val", o);
  ASSERT_EQ(val.size(), 1u);
  EXPECT_EQ(val.classes(), 2);
  EXPECT_EQ(val.label(0), 1);  // n001 is class 1 of train/, not class 0 of val/'s own list
  EXPECT_EQ(nw::load_image_folder(d.path.string(), "val", o).label(0), 1);  // from the cache
  fs::remove_all(d.path / "train");
  expect_error<batchrmt::InvalidInput>([&] { nw::load_image_folder(d.path.string(), "val", o); },
                                       {(d.path / "train").string(), "does not exist", "class list"});
}

#endif  // BATCHRMT_TEST_HAS_TURBOJPEG

TEST(Transforms, PerChannelNormalisationUsesTrainingStatistics) {
  // Two 1x2x2 images: pixels {0, 255, 0, 255} and {255, 255, 255, 255}: mean 0.75, sd 0.4330.
  auto d = nw::Dataset::from_pixels("t", {1, 2, 2}, 2, {0, 255, 0, 255, 255, 255, 255, 255}, {0, 1});
  std::vector<float> mean, sd;
  d.channel_statistics(mean, sd);
  EXPECT_NEAR(mean[0], 0.75, 1e-6);
  EXPECT_NEAR(sd[0], std::sqrt(0.1875), 1e-6);
  nw::Transform t;
  t.mean = mean;
  t.std = sd;
  float x[4];
  d.item(0, t, x);
  EXPECT_NEAR(x[0], -0.75 / std::sqrt(0.1875), 1e-5);
  EXPECT_NEAR(x[1], 0.25 / std::sqrt(0.1875), 1e-5);
}

TEST(Transforms, AugmentationIsACropWithZeroPaddingAndAFlipDrawnFromTheStream) {
  // A 1x3x3 image 1..9; pad 1 so every shift is visible.
  auto d = nw::Dataset::from_pixels("t", {1, 3, 3}, 2, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {0});
  nw::Transform t;
  t.augment = true;
  t.pad = 1;
  batchrmt::RandomStream rng(5, 0), replay(5, 0);
  for (int trial = 0; trial < 20; ++trial) {
    float x[9];
    d.item(0, t, x, &rng);
    const int dy = static_cast<int>(replay.below(3)), dx = static_cast<int>(replay.below(3));
    const bool flip = replay.below(2) == 1;
    for (int y = 0; y < 3; ++y)
      for (int c = 0; c < 3; ++c) {
        const int sx = (flip ? 2 - c : c) + dx - 1, sy = y + dy - 1;
        const float expect = (sy >= 0 && sy < 3 && sx >= 0 && sx < 3) ? static_cast<float>(1 + sy * 3 + sx) / 255.0f : 0.0f;
        EXPECT_FLOAT_EQ(x[y * 3 + c], expect) << trial;
      }
  }
  // Without augmentation the image is unchanged.
  float x[9];
  d.item(0, nw::Transform{}, x);
  for (int k = 0; k < 9; ++k) EXPECT_FLOAT_EQ(x[k], (k + 1) / 255.0f);
}

TEST(Subsets, ShareStorageAndMapIndices) {
  auto d = nw::Dataset::from_pixels("t", {1, 1, 1}, 5, {10, 11, 12, 13, 14}, {0, 1, 2, 3, 4});
  const auto s = d.subset({4, 1, 3});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.label(0), 4);
  EXPECT_EQ(s.pixels(1)[0], 11);
  const auto ss = s.subset({2});
  EXPECT_EQ(ss.label(0), 3);
  EXPECT_EQ(ss.source_index(0), 3u);
  EXPECT_THROW(s.subset({3}), batchrmt::InvalidInput);
  EXPECT_THROW(s.label(3), batchrmt::InvalidInput);
}

TEST(TeacherStudent, IsDeterministicBalancedEnoughAndSeedDependent) {
  nw::TeacherStudentOptions o;
  o.train_size = 2000;
  o.shape = {1, 1, 20};
  o.classes = 4;
  o.seed = 3;
  const auto a = nw::make_teacher_student(o, "train");
  const auto b = nw::make_teacher_student(o, "train");
  EXPECT_EQ(a.labels(), b.labels());
  // Every class appears: with a Gaussian teacher each has probability ~1/4, so a class with
  // none of 2000 draws would be a ~1e-250 event.
  for (auto c : a.class_counts()) EXPECT_GT(c, 0);
  o.seed = 4;
  EXPECT_NE(nw::make_teacher_student(o, "train").labels(), a.labels());
  EXPECT_FALSE(a.is_image());
  EXPECT_THROW(a.pixels(0), batchrmt::InvalidInput);
}

TEST(LoadDataset, SubsetsAugmentDefaultsAndUnknownNames) {
  nw::DataOptions o;
  o.name = "synthetic";
  o.synthetic.train_size = 100;
  o.synthetic.test_size = 50;
  o.train_subset = 30;
  o.subset_seed = 1;
  const auto s = nw::load_dataset(o);
  EXPECT_EQ(s.train.size(), 30u);
  EXPECT_EQ(s.train_indices, batchrmt::batch_indices(100, 30, 1, 0x5b));
  EXPECT_FALSE(s.train_transform.augment);
  o.name = "mnist";
  EXPECT_THROW(nw::load_dataset(o), batchrmt::InvalidInput);
  o.name = "cifar100";
  o.data_dir = "";
  EXPECT_THROW(nw::load_dataset(o), batchrmt::InvalidInput);
  EXPECT_THROW(nw::parse_normalize("zscore"), batchrmt::InvalidInput);
}
