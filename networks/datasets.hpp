// Datasets of the networks layer, behind one interface, without LibTorch in the header so
// that verify/ and apps/ can name them.
//
// A Dataset is one split (train or test) of images (uint8, C x H x W, stored once in memory
// or memory-mapped from a cache file) or of float features (the synthetic teacher-student
// set), with integer labels in [0, classes). Subsets are views that share the storage, so
// "the batch of 128 indices drawn with seed s" (docs/theory.md 5.4) is `dataset.subset(indices)`.
//
// Inputs reach a network through a Transform:
//   - normalisation: `none` gives pixel/255 in [0, 1]; `per_channel` then subtracts the mean
//     and divides by the standard deviation of each channel, both computed over the *training*
//     split (so the test split of a run uses the training split's statistics);
//   - augmentation (train only, the paper's protocol [CODE], docs/theory.md 6.1): a random crop
//     with zero padding 4 (padding in pixel space, i.e. black, as torchvision's RandomCrop on a
//     PIL image) and a horizontal flip with probability 1/2. Random draws come from a
//     core RandomStream: per sample in batch order, dy = below(9), dx = below(9),
//     flip = below(2), so a seed means the same on every platform.
//   The test-time transform (augment = false) is the one curvature measurements use (5.1).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace batchrmt {
class RandomStream;
}

namespace batchrmt::networks {

enum class Normalize { none, per_channel };
Normalize parse_normalize(const std::string& s);  // "none" | "per-channel"
std::string to_string(Normalize n);

// What the network sees of a dataset's inputs.
struct Transform {
  std::vector<float> mean;  // per channel, in units of pixel/255; empty = no centring
  std::vector<float> std;   // per channel; empty = no scaling
  bool augment = false;     // random crop (pad 4) + horizontal flip
  int pad = 4;
};

struct DatasetStorage;  // pixels or features, shared between a dataset and its subsets

class Dataset {
 public:
  Dataset() = default;

  const std::string& name() const noexcept { return name_; }  // e.g. "fashion-mnist/train"
  std::size_t size() const noexcept { return index_.empty() ? base_size_ : index_.size(); }
  int classes() const noexcept { return classes_; }
  // Channels, height, width (features of the synthetic set: 1 x 1 x d or an image shape).
  std::array<std::int64_t, 3> input_shape() const noexcept { return shape_; }
  std::int64_t input_numel() const noexcept { return shape_[0] * shape_[1] * shape_[2]; }
  bool is_image() const;  // uint8 pixels (else float features)

  std::int64_t label(std::size_t i) const;
  std::vector<std::int64_t> labels() const;
  // Raw pixels of item i (C*H*W bytes, planes R, G, B); throws for a feature dataset.
  const std::uint8_t* pixels(std::size_t i) const;
  // Item i after `t` into out[0 .. input_numel()); `rng` is required when t.augment.
  void item(std::size_t i, const Transform& t, float* out, RandomStream* rng = nullptr) const;
  // Items idx[0..n) one after another (n * input_numel() floats), drawing augmentation in order.
  void items(const std::vector<std::size_t>& idx, const Transform& t, float* out, RandomStream* rng = nullptr) const;

  // A view of the items `idx` (indices into this dataset), sharing the storage.
  Dataset subset(const std::vector<std::size_t>& idx) const;
  // Index of item i in the underlying file (identity unless this is a subset).
  std::size_t source_index(std::size_t i) const { return index_.empty() ? i : index_[i]; }

  // Mean and standard deviation of each channel of pixel/255 (or of the features), in fp64.
  void channel_statistics(std::vector<float>& mean, std::vector<float>& std) const;
  std::vector<std::int64_t> class_counts() const;

  // Builders (used by the loaders and tests).
  static Dataset from_pixels(std::string name, std::array<std::int64_t, 3> shape, int classes,
                             std::vector<std::uint8_t> pixels, std::vector<std::int64_t> labels);
  static Dataset from_features(std::string name, std::array<std::int64_t, 3> shape, int classes,
                               std::vector<float> features, std::vector<std::int64_t> labels);
  // Pixels memory-mapped from `path` at byte `offset` (the ImageNet cache).
  static Dataset from_mapped_pixels(std::string name, std::array<std::int64_t, 3> shape, int classes,
                                    const std::string& path, std::size_t offset, std::size_t count,
                                    std::vector<std::int64_t> labels);

 private:
  // The dataset over `storage` (its labels and one of pixels / features / a mapping), all items.
  static Dataset over_storage(std::string name, std::array<std::int64_t, 3> shape, int classes,
                              std::shared_ptr<const DatasetStorage> storage);
  std::string name_;
  std::array<std::int64_t, 3> shape_{0, 0, 0};
  int classes_ = 0;
  std::size_t base_size_ = 0;
  std::vector<std::size_t> index_;  // empty: all items in order
  std::shared_ptr<const DatasetStorage> storage_;
};

// ---------------------------------------------------------------- the formats

// IDX (LeCun's MNIST format), gzip-compressed or plain (zlib reads both).
// Images: magic 0x00000803, dims N, rows, cols. Labels: magic 0x00000801, dim N.
std::vector<std::uint8_t> read_idx_images(const std::string& path, std::int64_t& count, std::int64_t& rows,
                                          std::int64_t& cols);
std::vector<std::int64_t> read_idx_labels(const std::string& path, int classes);

// Fashion-MNIST split "train" (60,000) or "test" (10,000) from `dir` (default
// /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist).
Dataset load_fashion_mnist(const std::string& dir, const std::string& split);
inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

// CIFAR-100 binary version: records of coarse label, fine label, 3072 pixel bytes (R, G, B
// planes of 32 x 32). `dir` holds train.bin/test.bin (or a cifar-100-binary/ folder that does).
Dataset load_cifar100(const std::string& dir, const std::string& split, bool coarse_labels = false);
// One CIFAR-100 binary file.
Dataset read_cifar100_file(const std::string& path, const std::string& name, bool coarse_labels);

// ImageFolder layout: `dir`/<split>/<class>/*.JPEG (split "train" or "val"; "test" means
// "val"). Classes are train/'s sorted folder names, for both splits: val/ may lack a class,
// a val/ folder that train/ lacks is InvalidInput. Images are decoded with libjpeg-turbo to RGB
// and resized to side x side: for side <= 64 the whole image is box-resampled (the
// downsampled-ImageNet convention of Chrabaszcz et al. 2017); above, the shorter side is
// resized to side * 256/224 and the centre side x side crop kept. The decoded uint8 tensor is
// cached in `cache_dir` (default: `dir`/.batchrmt-cache, or ~/.cache/batchrmt when `dir` is
// not writable) and memory-mapped on later runs; the cache is rebuilt when the list of files,
// their sizes or modification times change.
struct ImageFolderOptions {
  int side = 32;
  std::string cache_dir;  // empty: default above
  bool use_cache = true;
  int threads = 1;  // decoding threads
};
Dataset load_image_folder(const std::string& dir, const std::string& split, const ImageFolderOptions& options);
// False when built without libjpeg-turbo: image folders then load only from an existing cache.
bool jpeg_decoding_available();
// Decodes one JPEG file to RGB (throws IoError naming the file when it is not a readable JPEG).
std::vector<std::uint8_t> decode_jpeg_rgb(const std::string& path, int& width, int& height, int min_side = 0);
// Resamples an RGB (interleaved) image to side x side as described above, returning C x H x W planes.
std::vector<std::uint8_t> resize_to_planes(const std::vector<std::uint8_t>& rgb, int width, int height, int side);

// Synthetic teacher-student classification: inputs x ~ N(0, I) of shape `shape`, labels
// argmax_c (T x)_c of a random linear teacher T (C x d, entries N(0, 1/d)), all drawn from
// RandomStream(seed, stream 0x7e5 + split) (train 0, test 1); the teacher from stream 0x7e4.
// A linear model can fit it exactly; the label noise is zero.
struct TeacherStudentOptions {
  std::size_t train_size = 4096;
  std::size_t test_size = 1024;
  std::array<std::int64_t, 3> shape{1, 28, 28};
  int classes = 10;
  std::uint64_t seed = 0;
};
Dataset make_teacher_student(const TeacherStudentOptions& options, const std::string& split);

// A user's arrays (--dataset arrays), read from the --data file by the CLI
// (verify/array_dataset.hpp; layout and checks in docs/hdf5-schema.md). The splits are
// float feature datasets of item shape `shape`: an N x D file gives 1 x 1 x D, an
// N x C x H x W file keeps C x H x W (so CNNs such as lenet take 1 x 28 x 28 arrays). Without
// x_test the test split is empty (test loss and accuracy are then NaN, "not measured").
struct ArrayData {
  std::array<std::int64_t, 3> shape{0, 0, 0};
  int classes = 0;
  std::vector<float> x, x_test;  // items one after another, C order
  std::vector<std::int64_t> y, y_test;
  std::string source;       // the file, for descriptions
  std::string fingerprint;  // its content (core/run_identity.hpp's file_fingerprint), for run identities
};
// The train or test split of `arrays` ("arrays/train", "arrays/test").
Dataset make_array_dataset(const ArrayData& arrays, const std::string& split);

// ---------------------------------------------------------------- by name

struct DataOptions {
  std::string name = "fashion-mnist";  // fashion-mnist | cifar100 | imagenet | synthetic | arrays
  std::string data_dir;                // empty: the dataset's default (Fashion-MNIST: Debian's)
  std::string data_file;               // --data: the array file of --dataset arrays
  Normalize normalize = Normalize::none;
  std::string augment = "auto";  // auto (on for cifar100 and imagenet) | on | off
  bool coarse_labels = false;    // CIFAR-100: the 20 superclasses instead of the 100 classes
  ImageFolderOptions image_folder;
  TeacherStudentOptions synthetic;
  // --dataset arrays: the arrays read from data_file (shared, as options are copied); augment
  // auto means off for them, and on is refused (their inputs are taken as given).
  std::shared_ptr<const ArrayData> arrays;
  std::size_t train_subset = 0;  // 0: all; else a seeded random subset of this size
  std::size_t test_subset = 0;
  std::uint64_t subset_seed = 0;
};

struct DataSplits {
  Dataset train;
  Dataset test;
  Transform train_transform;  // with augmentation when enabled
  Transform test_transform;   // the test-time transform (no augmentation)
  std::vector<std::size_t> train_indices;  // the subset, or empty for all
  std::vector<std::size_t> test_indices;
  std::string description;  // one line for provenance
};

std::vector<std::string> dataset_names();
DataSplits load_dataset(const DataOptions& options);
// Input shape and number of classes of a dataset without reading its items (for --dry-run);
// ImageNet counts the class folders of DIR/train (1000 when the folder is absent).
struct DatasetSignature {
  std::array<std::int64_t, 3> input_shape{0, 0, 0};
  int classes = 0;
};
DatasetSignature dataset_signature(const DataOptions& options);

}  // namespace batchrmt::networks
