// Dataset storage, transforms and the IDX / CIFAR / synthetic loaders (no LibTorch here).
#include "networks/datasets.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/raw/raw_formats.hpp"

namespace fs = std::filesystem;

namespace batchrmt::networks {

// ---------------------------------------------------------------- storage

struct DatasetStorage {
  std::vector<std::uint8_t> pixels;  // owned pixels
  std::vector<float> features;       // owned features
  std::vector<std::int64_t> labels;
  const std::uint8_t* mapped = nullptr;  // memory-mapped pixels (base + offset)
  void* map_base = nullptr;
  std::size_t map_length = 0;
  bool image = true;

  const std::uint8_t* pixel_data() const { return mapped ? mapped : pixels.data(); }
  ~DatasetStorage() {
    if (map_base) ::munmap(map_base, map_length);
  }
};

Normalize parse_normalize(const std::string& s) {
  if (s == "none") return Normalize::none;
  if (s == "per-channel" || s == "per_channel") return Normalize::per_channel;
  throw InvalidInput("normalize is '" + s + "', but must be none or per-channel.");
}

std::string to_string(Normalize n) { return n == Normalize::none ? "none" : "per-channel"; }

bool Dataset::is_image() const { return storage_ && storage_->image; }

std::int64_t Dataset::label(std::size_t i) const {
  if (i >= size())
    throw InvalidInput(name_ + ": item " + std::to_string(i) + " requested, but the dataset has " +
                       std::to_string(size()) + " items.");
  return storage_->labels[source_index(i)];
}

std::vector<std::int64_t> Dataset::labels() const {
  std::vector<std::int64_t> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = storage_->labels[source_index(i)];
  return out;
}

const std::uint8_t* Dataset::pixels(std::size_t i) const {
  if (!is_image()) throw InvalidInput(name_ + " holds float features, not pixels.");
  if (i >= size())
    throw InvalidInput(name_ + ": item " + std::to_string(i) + " requested, but the dataset has " +
                       std::to_string(size()) + " items.");
  return storage_->pixel_data() + source_index(i) * static_cast<std::size_t>(input_numel());
}

void Dataset::item(std::size_t i, const Transform& t, float* out, RandomStream* rng) const {
  if (i >= size())
    throw InvalidInput(name_ + ": item " + std::to_string(i) + " requested, but the dataset has " +
                       std::to_string(size()) + " items.");
  const std::int64_t C = shape_[0], H = shape_[1], W = shape_[2];
  const std::size_t src = source_index(i);
  int dy = t.pad, dx = t.pad;  // offsets into the padded image: pad = centred (no shift)
  bool flip = false;
  if (t.augment) {
    if (!rng) throw InvalidInput("Dataset::item: augmentation needs a random stream.");
    dy = static_cast<int>(rng->below(static_cast<std::uint64_t>(2 * t.pad + 1)));
    dx = static_cast<int>(rng->below(static_cast<std::uint64_t>(2 * t.pad + 1)));
    flip = rng->below(2) == 1;
  }
  const bool image = storage_->image;
  const std::uint8_t* px = image ? storage_->pixel_data() + src * static_cast<std::size_t>(C * H * W) : nullptr;
  const float* fx = image ? nullptr : storage_->features.data() + src * static_cast<std::size_t>(C * H * W);
  for (std::int64_t c = 0; c < C; ++c) {
    const float mean = t.mean.empty() ? 0.0f : t.mean[static_cast<std::size_t>(c)];
    const float inv_sd = t.std.empty() ? 1.0f : 1.0f / t.std[static_cast<std::size_t>(c)];
    for (std::int64_t y = 0; y < H; ++y) {
      const std::int64_t sy = y + dy - t.pad;
      for (std::int64_t x = 0; x < W; ++x) {
        const std::int64_t xx = flip ? W - 1 - x : x;
        const std::int64_t sx = xx + dx - t.pad;
        float v = 0.0f;  // zero padding (black) in pixel space
        if (sy >= 0 && sy < H && sx >= 0 && sx < W) {
          const std::size_t k = static_cast<std::size_t>((c * H + sy) * W + sx);
          v = image ? static_cast<float>(px[k]) / 255.0f : fx[k];
        }
        out[(c * H + y) * W + x] = (v - mean) * inv_sd;
      }
    }
  }
}

void Dataset::items(const std::vector<std::size_t>& idx, const Transform& t, float* out, RandomStream* rng) const {
  const std::size_t n = static_cast<std::size_t>(input_numel());
  for (std::size_t k = 0; k < idx.size(); ++k) item(idx[k], t, out + k * n, rng);
}

Dataset Dataset::subset(const std::vector<std::size_t>& idx) const {
  Dataset d = *this;
  d.index_.resize(idx.size());
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (idx[k] >= size())
      throw InvalidInput(name_ + ": subset index " + std::to_string(idx[k]) + " is out of range (the dataset has " +
                         std::to_string(size()) + " items).");
    d.index_[k] = source_index(idx[k]);
  }
  return d;
}

void Dataset::channel_statistics(std::vector<float>& mean, std::vector<float>& sd) const {
  const std::int64_t C = shape_[0], HW = shape_[1] * shape_[2];
  std::vector<double> s(static_cast<std::size_t>(C), 0.0), s2(static_cast<std::size_t>(C), 0.0);
  for (std::size_t i = 0; i < size(); ++i) {
    const std::size_t src = source_index(i);
    for (std::int64_t c = 0; c < C; ++c) {
      double a = 0.0, a2 = 0.0;
      for (std::int64_t k = 0; k < HW; ++k) {
        const std::size_t off = src * static_cast<std::size_t>(C * HW) + static_cast<std::size_t>(c * HW + k);
        const double v = storage_->image ? storage_->pixel_data()[off] / 255.0 : storage_->features[off];
        a += v;
        a2 += v * v;
      }
      s[static_cast<std::size_t>(c)] += a;
      s2[static_cast<std::size_t>(c)] += a2;
    }
  }
  const double n = static_cast<double>(size()) * static_cast<double>(HW);
  mean.assign(static_cast<std::size_t>(C), 0.0f);
  sd.assign(static_cast<std::size_t>(C), 1.0f);
  for (std::size_t c = 0; c < static_cast<std::size_t>(C); ++c) {
    const double m = s[c] / n;
    const double var = std::max(0.0, s2[c] / n - m * m);
    mean[c] = static_cast<float>(m);
    sd[c] = static_cast<float>(var > 0 ? std::sqrt(var) : 1.0);
  }
}

std::vector<std::int64_t> Dataset::class_counts() const {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(classes_), 0);
  for (std::size_t i = 0; i < size(); ++i) ++counts[static_cast<std::size_t>(storage_->labels[source_index(i)])];
  return counts;
}

namespace {

void check_labels(const std::string& where, const std::vector<std::int64_t>& labels, int classes) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      throw InvalidInput(where + ": label " + std::to_string(labels[i]) + " of item " + std::to_string(i) +
                         " is out of range; labels must lie in 0.." + std::to_string(classes - 1) + ".");
}

// Storage holding the checked labels of a dataset whose items have numel(shape) values each, with
// `values` values in all (`what` names them, `unit` one of them).
std::shared_ptr<DatasetStorage> labelled_storage(const std::string& name, std::array<std::int64_t, 3> shape, int classes,
                                                 std::size_t values, const std::string& what, const std::string& unit,
                                                 std::vector<std::int64_t> labels) {
  const std::size_t numel = static_cast<std::size_t>(shape[0] * shape[1] * shape[2]);
  if (numel == 0 || values != numel * labels.size())
    throw InvalidInput(name + ": " + std::to_string(values) + " " + what + " for " + std::to_string(labels.size()) +
                       " labels of " + std::to_string(numel) + " " + unit + " each.");
  check_labels(name, labels, classes);
  auto st = std::make_shared<DatasetStorage>();
  st->labels = std::move(labels);
  return st;
}

}  // namespace

Dataset Dataset::over_storage(std::string name, std::array<std::int64_t, 3> shape, int classes,
                              std::shared_ptr<const DatasetStorage> storage) {
  Dataset d;
  d.name_ = std::move(name);
  d.shape_ = shape;
  d.classes_ = classes;
  d.base_size_ = storage->labels.size();
  d.storage_ = std::move(storage);
  return d;
}

Dataset Dataset::from_pixels(std::string name, std::array<std::int64_t, 3> shape, int classes,
                             std::vector<std::uint8_t> pixels, std::vector<std::int64_t> labels) {
  auto st = labelled_storage(name, shape, classes, pixels.size(), "pixel bytes", "bytes", std::move(labels));
  st->pixels = std::move(pixels);
  st->image = true;
  return over_storage(std::move(name), shape, classes, std::move(st));
}

Dataset Dataset::from_features(std::string name, std::array<std::int64_t, 3> shape, int classes,
                               std::vector<float> features, std::vector<std::int64_t> labels) {
  auto st = labelled_storage(name, shape, classes, features.size(), "features", "features", std::move(labels));
  st->features = std::move(features);
  st->image = false;
  return over_storage(std::move(name), shape, classes, std::move(st));
}

Dataset Dataset::from_mapped_pixels(std::string name, std::array<std::int64_t, 3> shape, int classes,
                                    const std::string& path, std::size_t offset, std::size_t count,
                                    std::vector<std::int64_t> labels) {
  const std::size_t numel = static_cast<std::size_t>(shape[0] * shape[1] * shape[2]);
  if (labels.size() != count) throw InvalidInput(name + ": label count does not match the item count.");
  check_labels(name, labels, classes);
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError("cannot open the cache file " + path + ": " + std::strerror(errno));
  struct stat sb {};
  ::fstat(fd, &sb);
  const std::size_t need = offset + count * numel;
  if (static_cast<std::size_t>(sb.st_size) < need) {
    ::close(fd);
    throw IoError("the cache file " + path + " is truncated (" + std::to_string(sb.st_size) + " bytes, " +
                  std::to_string(need) + " expected); delete it to rebuild.");
  }
  void* base = need > 0 ? ::mmap(nullptr, need, PROT_READ, MAP_SHARED, fd, 0) : nullptr;
  ::close(fd);
  if (need > 0 && base == MAP_FAILED) throw IoError("cannot memory-map the cache file " + path + ".");
  auto st = std::make_shared<DatasetStorage>();
  st->map_base = base;
  st->map_length = need;
  st->mapped = static_cast<const std::uint8_t*>(base) + offset;
  st->labels = std::move(labels);
  st->image = true;
  return over_storage(std::move(name), shape, classes, std::move(st));
}

// ---------------------------------------------------------------- IDX

// The byte parsing lives in networks/raw/ (no LibTorch, fuzzed and sanitised on its own).
std::vector<std::uint8_t> read_idx_images(const std::string& path, std::int64_t& count, std::int64_t& rows,
                                          std::int64_t& cols) {
  const auto bytes = raw::read_file_bytes(path, "the IDX image file");
  auto images = raw::parse_idx_images(bytes.data(), bytes.size(), path);
  count = images.count;
  rows = images.rows;
  cols = images.cols;
  return std::move(images.pixels);
}

std::vector<std::int64_t> read_idx_labels(const std::string& path, int classes) {
  const auto bytes = raw::read_file_bytes(path, "the IDX label file");
  return raw::parse_idx_labels(bytes.data(), bytes.size(), classes, path);
}

Dataset load_fashion_mnist(const std::string& dir_in, const std::string& split) {
  const std::string dir = dir_in.empty() ? std::string(kFashionMnistDefaultDir) : dir_in;
  if (split != "train" && split != "test")
    throw InvalidInput("Fashion-MNIST split is '" + split + "', but must be train or test.");
  const std::string prefix = split == "train" ? "train" : "t10k";
  std::string images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  std::string labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  // Accept uncompressed copies too (as some downloads unpack them).
  if (!fs::exists(images) && fs::exists(dir + "/" + prefix + "-images-idx3-ubyte"))
    images = dir + "/" + prefix + "-images-idx3-ubyte";
  if (!fs::exists(labels) && fs::exists(dir + "/" + prefix + "-labels-idx1-ubyte"))
    labels = dir + "/" + prefix + "-labels-idx1-ubyte";
  for (const auto& p : {images, labels})
    if (!fs::exists(p))
      throw InvalidInput("Fashion-MNIST file " + p +
                         " does not exist; install it with 'apt-get install dataset-fashion-mnist' (Debian) or "
                         "point --data-dir at a folder holding the four *-ubyte.gz files.");
  std::int64_t n = 0, rows = 0, cols = 0;
  auto pixels = read_idx_images(images, n, rows, cols);
  auto lab = read_idx_labels(labels, 10);
  if (static_cast<std::int64_t>(lab.size()) != n)
    throw InvalidInput(images + " holds " + std::to_string(n) + " images but " + labels + " holds " +
                       std::to_string(lab.size()) + " labels; the two files must match.");
  return Dataset::from_pixels("fashion-mnist/" + split, {1, rows, cols}, 10, std::move(pixels), std::move(lab));
}

// ---------------------------------------------------------------- CIFAR-100

Dataset read_cifar100_file(const std::string& path, const std::string& name, bool coarse_labels) {
  const auto bytes = raw::read_file_bytes(path, "the CIFAR-100 file");
  auto records = raw::parse_cifar100(bytes.data(), bytes.size(), coarse_labels, path);
  return Dataset::from_pixels(name, {3, 32, 32}, coarse_labels ? 20 : 100, std::move(records.pixels),
                              std::move(records.labels));
}

Dataset load_cifar100(const std::string& dir, const std::string& split, bool coarse_labels) {
  if (split != "train" && split != "test")
    throw InvalidInput("CIFAR-100 split is '" + split + "', but must be train or test.");
  if (dir.empty())
    throw InvalidInput("CIFAR-100 needs --data-dir: a folder holding train.bin and test.bin of the binary version "
                       "(cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html).");
  std::string path = dir + "/" + split + ".bin";
  if (!fs::exists(path) && fs::exists(dir + "/cifar-100-binary/" + split + ".bin"))
    path = dir + "/cifar-100-binary/" + split + ".bin";
  if (!fs::exists(path))
    throw InvalidInput("CIFAR-100 file " + path +
                       " does not exist; unpack the binary version (cifar-100-binary.tar.gz from "
                       "https://www.cs.toronto.edu/~kriz/cifar.html) and point --data-dir at its folder.");
  return read_cifar100_file(path, std::string("cifar100/") + split + (coarse_labels ? "/coarse" : ""),
                            coarse_labels);
}

// ---------------------------------------------------------------- synthetic

Dataset make_teacher_student(const TeacherStudentOptions& o, const std::string& split) {
  if (split != "train" && split != "test")
    throw InvalidInput("synthetic split is '" + split + "', but must be train or test.");
  check_at_least("make_teacher_student", "classes", o.classes, 2);
  const std::size_t n = split == "train" ? o.train_size : o.test_size;
  check_at_least("make_teacher_student", "size", n, std::size_t{1});
  const std::size_t d = static_cast<std::size_t>(o.shape[0] * o.shape[1] * o.shape[2]);
  check_at_least("make_teacher_student", "input size", d, std::size_t{1});
  RandomStream teacher_rng(o.seed, 0x7e4);
  std::vector<double> T(static_cast<std::size_t>(o.classes) * d);
  teacher_rng.fill_normal(T.data(), T.size());
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  RandomStream rng(o.seed, 0x7e5 + (split == "train" ? 0 : 1));
  std::vector<float> features(n * d);
  std::vector<std::int64_t> labels(n);
  std::vector<double> x(d);
  for (std::size_t i = 0; i < n; ++i) {
    rng.fill_normal(x.data(), d);
    double best = -1e300;
    std::int64_t arg = 0;
    for (int c = 0; c < o.classes; ++c) {
      double z = 0.0;
      for (std::size_t k = 0; k < d; ++k) z += T[static_cast<std::size_t>(c) * d + k] * x[k];
      z *= scale;
      if (z > best) {
        best = z;
        arg = c;
      }
    }
    labels[i] = arg;
    for (std::size_t k = 0; k < d; ++k) features[i * d + k] = static_cast<float>(x[k]);
  }
  return Dataset::from_features("synthetic/" + split, o.shape, o.classes, std::move(features), std::move(labels));
}

// ---------------------------------------------------------------- arrays

Dataset make_array_dataset(const ArrayData& a, const std::string& split) {
  if (split != "train" && split != "test")
    throw InvalidInput("arrays split is '" + split + "', but must be train or test.");
  const bool train = split == "train";
  return Dataset::from_features("arrays/" + split, a.shape, a.classes, train ? a.x : a.x_test, train ? a.y : a.y_test);
}

namespace {

const ArrayData& loaded_arrays(const DataOptions& o) {
  if (!o.arrays)
    throw InvalidInput("dataset arrays has no arrays; give --data PATH, an HDF5 or .npz file with x and y "
                       "(docs/hdf5-schema.md, \"Array datasets (input)\").");
  return *o.arrays;
}

const char* const kDatasetChoices = "fashion-mnist, cifar100, imagenet, synthetic or arrays";

}  // namespace

// ---------------------------------------------------------------- by name

std::vector<std::string> dataset_names() { return {"fashion-mnist", "cifar100", "imagenet", "synthetic", "arrays"}; }

DatasetSignature dataset_signature(const DataOptions& o) {
  DatasetSignature s;
  if (o.name == "fashion-mnist") {
    s.input_shape = {1, 28, 28};
    s.classes = 10;
  } else if (o.name == "cifar100") {
    s.input_shape = {3, 32, 32};
    s.classes = o.coarse_labels ? 20 : 100;
  } else if (o.name == "imagenet") {
    s.input_shape = {3, o.image_folder.side, o.image_folder.side};
    s.classes = 0;
    const fs::path train = fs::path(o.data_dir) / "train";
    std::error_code ec;
    if (!o.data_dir.empty() && fs::is_directory(train, ec))
      for (const auto& e : fs::directory_iterator(train))
        if (e.is_directory()) ++s.classes;
    if (s.classes == 0) s.classes = 1000;
  } else if (o.name == "synthetic") {
    s.input_shape = o.synthetic.shape;
    s.classes = o.synthetic.classes;
  } else if (o.name == "arrays") {
    s.input_shape = loaded_arrays(o).shape;
    s.classes = loaded_arrays(o).classes;
  } else {
    throw InvalidInput("dataset is '" + o.name + "', but must be " + kDatasetChoices + ".");
  }
  return s;
}

namespace {

// A seeded random subset of `size` items of `split` (index stream `stream`), its indices kept in
// `indices`; `name` and `split_name` name the option and the split in a refusal.
void draw_subset(Dataset& split, std::vector<std::size_t>& indices, std::size_t size, std::uint64_t seed, std::uint64_t stream,
                 const std::string& name, const std::string& split_name) {
  if (size > split.size())
    throw InvalidInput(name + " subset is " + std::to_string(size) + ", but the " + split_name + " split has only " +
                       std::to_string(split.size()) + " items.");
  indices = batch_indices(split.size(), size, seed, stream);
  split = split.subset(indices);
}

}  // namespace

DataSplits load_dataset(const DataOptions& o) {
  DataSplits s;
  bool augment_default = false;
  if (o.name == "fashion-mnist") {
    s.train = load_fashion_mnist(o.data_dir, "train");
    s.test = load_fashion_mnist(o.data_dir, "test");
  } else if (o.name == "cifar100") {
    s.train = load_cifar100(o.data_dir, "train", o.coarse_labels);
    s.test = load_cifar100(o.data_dir, "test", o.coarse_labels);
    augment_default = true;
  } else if (o.name == "imagenet") {
    if (o.data_dir.empty())
      throw InvalidInput("ImageNet needs --data-dir: a folder with train/<wnid>/*.JPEG and val/<wnid>/*.JPEG "
                         "(the ImageFolder layout; see docs/networks.md).");
    s.train = load_image_folder(o.data_dir, "train", o.image_folder);
    s.test = load_image_folder(o.data_dir, "val", o.image_folder);
    augment_default = true;
  } else if (o.name == "synthetic") {
    s.train = make_teacher_student(o.synthetic, "train");
    s.test = make_teacher_student(o.synthetic, "test");
  } else if (o.name == "arrays") {
    s.train = make_array_dataset(loaded_arrays(o), "train");
    s.test = make_array_dataset(loaded_arrays(o), "test");
    if (o.augment == "on")
      throw InvalidInput("augment is on, but the arrays dataset takes its inputs as given; use augment auto or off.");
  } else {
    throw InvalidInput("dataset is '" + o.name + "', but must be " + kDatasetChoices + ".");
  }
  bool augment = augment_default;
  if (o.augment == "on")
    augment = true;
  else if (o.augment == "off")
    augment = false;
  else if (o.augment != "auto")
    throw InvalidInput("augment is '" + o.augment + "', but must be auto, on or off.");

  if (o.train_subset > 0) draw_subset(s.train, s.train_indices, o.train_subset, o.subset_seed, 0x5b, "train", "training");
  if (o.test_subset > 0) draw_subset(s.test, s.test_indices, o.test_subset, o.subset_seed, 0x5c, "test", "test");
  if (o.normalize == Normalize::per_channel) {
    std::vector<float> mean, sd;
    s.train.channel_statistics(mean, sd);
    s.train_transform.mean = s.test_transform.mean = mean;
    s.train_transform.std = s.test_transform.std = sd;
  } else if (!s.train.is_image()) {
    // Features are already standard normal; "none" leaves them as they are.
  }
  s.train_transform.augment = augment;
  s.test_transform.augment = false;
  const std::string what = o.name == "arrays" ? "arrays " + o.arrays->source : o.name;
  s.description = what + " (train " + std::to_string(s.train.size()) + ", test " + std::to_string(s.test.size()) +
                  ", normalize " + to_string(o.normalize) + ", augment " + (augment ? "crop4+flip" : "off") + ")";
  return s;
}

}  // namespace batchrmt::networks
