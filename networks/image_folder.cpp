// ImageNet in the ImageFolder layout: JPEG decoding with libjpeg-turbo, resampling, and the
// memory-mapped uint8 cache (no LibTorch here).
//
// Cache file (little-endian, written to NAME.tmp and renamed):
//   "BRMTIMG1" | u64 count | u64 side | u64 classes | u64 fingerprint | i64 labels[count] |
//   u8 pixels[count][3][side][side]
// The fingerprint (FNV-1a 64) covers the side, the resize rule, train/'s class list (the label
// numbering of every split) and every file's relative path, size and modification time, so any
// change in the folder rebuilds the cache.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/errors.hpp"
#include "networks/datasets.hpp"
#include "networks/raw/raw_formats.hpp"

namespace fs = std::filesystem;

namespace batchrmt::networks {

bool jpeg_decoding_available() { return raw::jpeg_available(); }

namespace {

bool is_jpeg_name(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == ".jpeg" || e == ".jpg";
}

// The sorted names of the sub-folders of `root` (the classes of an ImageFolder split).
std::vector<std::string> class_folders(const fs::path& root) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A JPEG file of more than 256 MiB is refused unread (ImageNet's largest are a few MB).
constexpr std::uint64_t kMaxJpegFileBytes = std::uint64_t{1} << 28;

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::vector<std::uint8_t> decode_jpeg_rgb(const std::string& path, int& width, int& height, int min_side) {
  const auto bytes = raw::read_file_bytes(path, "the image", kMaxJpegFileBytes);
  auto img = raw::decode_jpeg(bytes.data(), bytes.size(), path, min_side);
  width = img.width;
  height = img.height;
  return std::move(img.rgb);
}

std::vector<std::uint8_t> resize_to_planes(const std::vector<std::uint8_t>& rgb, int width, int height, int side) {
  return raw::resize_to_planes(rgb, width, height, side);
}

namespace {

// The files of a split and their labels: class indices come from train/'s sorted folder list
// for every split, and the fingerprint covers the side, the label numbering and every file's
// name, size and time (the cache's key).
struct FolderListing {
  std::vector<std::string> classes, files;
  std::vector<std::int64_t> labels;
  std::uint64_t fingerprint = 0;
};

FolderListing list_image_folder(const std::string& dir, const std::string& split, const fs::path& root,
                                const ImageFolderOptions& o) {
  // val/ may lack a class (its labels then still mean what they mean in train/), but may not
  // add one.
  const fs::path train_root = fs::path(dir) / "train";
  if (split != "train" && !fs::is_directory(train_root))
    throw InvalidInput("ImageNet folder " + train_root.string() + " does not exist; the class list of " + split +
                       "/ comes from train/, so --data-dir must hold both (the ImageFolder layout).");
  FolderListing l;
  l.classes = class_folders(train_root);
  const std::vector<std::string>& classes = l.classes;
  if (classes.empty())
    throw InvalidInput("ImageNet folder " + train_root.string() + " has no class sub-folders (expected "
                       "train/<class>/*.JPEG).");
  const std::vector<std::string> present = split == "train" ? classes : class_folders(root);
  if (present.empty())
    throw InvalidInput("ImageNet folder " + root.string() + " has no class sub-folders (expected " + split +
                       "/<class>/*.JPEG).");
  std::uint64_t& fp = l.fingerprint;
  fp = 0xcbf29ce484222325ull;
  const std::uint64_t side = static_cast<std::uint64_t>(o.side);
  fp = fnv1a(fp, &side, sizeof side);
  fp = fnv1a(fp, "box<=64,else-256/224-centre", 27);
  for (const auto& c : classes) fp = fnv1a(fp, c.data(), c.size() + 1);  // the label numbering
  for (const auto& folder : present) {
    const auto it = std::lower_bound(classes.begin(), classes.end(), folder);
    if (it == classes.end() || *it != folder)
      throw InvalidInput("the class folder " + (root / folder).string() + " is not a class of " + train_root.string() +
                         " (which has " + std::to_string(classes.size()) + " classes, " + classes.front() + " .. " +
                         classes.back() + "); " + split + "/ may hold only classes that train/ has.");
    const auto label = static_cast<std::int64_t>(it - classes.begin());
    std::vector<std::string> in_class;
    for (const auto& e : fs::directory_iterator(root / folder))
      if (e.is_regular_file() && is_jpeg_name(e.path())) in_class.push_back(e.path().string());
    if (in_class.empty())
      throw InvalidInput("the class folder " + (root / folder).string() + " contains no .JPEG files.");
    std::sort(in_class.begin(), in_class.end());
    for (auto& f : in_class) {
      const std::string rel = folder + "/" + fs::path(f).filename().string();
      fp = fnv1a(fp, rel.data(), rel.size());
      std::error_code ec;
      const std::uint64_t size = fs::file_size(f, ec);
      const auto mtime = static_cast<std::int64_t>(fs::last_write_time(f, ec).time_since_epoch().count());
      fp = fnv1a(fp, &size, sizeof size);
      fp = fnv1a(fp, &mtime, sizeof mtime);
      l.files.push_back(std::move(f));
      l.labels.push_back(label);
    }
  }
  return l;
}

}  // namespace

Dataset load_image_folder(const std::string& dir, const std::string& split_in, const ImageFolderOptions& o) {
  const std::string split = split_in == "test" ? "val" : split_in;
  if (o.side < 8 || o.side > 1024)
    throw InvalidInput("image side is " + std::to_string(o.side) + ", but must lie in 8..1024.");
  const fs::path root = fs::path(dir) / split;
  if (!fs::is_directory(root))
    throw InvalidInput("ImageNet folder " + root.string() + " does not exist; --data-dir must hold train/ and val/ "
                       "with one sub-folder of .JPEG files per class (the ImageFolder layout).");
  FolderListing listing = list_image_folder(dir, split, root, o);
  std::vector<std::string>& files = listing.files;
  std::vector<std::int64_t>& labels = listing.labels;
  const std::vector<std::string>& classes = listing.classes;
  const std::uint64_t fp = listing.fingerprint;
  const std::uint64_t side = static_cast<std::uint64_t>(o.side);
  const std::size_t n = files.size();
  const std::size_t numel = 3 * side * side;
  const std::string name = "imagenet" + std::to_string(o.side) + "/" + split;
  const int nclasses = static_cast<int>(classes.size());

  // Cache location.
  fs::path cache_dir = o.cache_dir.empty() ? fs::path(dir) / ".batchrmt-cache" : fs::path(o.cache_dir);
  if (o.use_cache && o.cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(cache_dir, ec);
    if (ec || ::access(cache_dir.c_str(), W_OK) != 0) {
      const char* home = std::getenv("HOME");
      char hbuf[17];
      std::snprintf(hbuf, sizeof hbuf, "%016llx",
                    static_cast<unsigned long long>(fnv1a(0xcbf29ce484222325ull, dir.data(), dir.size())));
      cache_dir = fs::path(home ? home : "/tmp") / ".cache" / "batchrmt" / (std::string("imagefolder-") + hbuf);
    }
  }
  const fs::path cache = cache_dir / (split + "-" + std::to_string(o.side) + ".u8");
  const std::size_t header = 8 + 4 * 8;
  const std::size_t pixel_offset = header + n * 8;
  if (o.use_cache && fs::exists(cache)) {
    std::ifstream in(cache, std::ios::binary);
    char magic[8];
    std::uint64_t h[4] = {0, 0, 0, 0};
    in.read(magic, 8);
    in.read(reinterpret_cast<char*>(h), sizeof h);
    if (in && std::memcmp(magic, "BRMTIMG1", 8) == 0 && h[0] == n && h[1] == side &&
        h[2] == static_cast<std::uint64_t>(nclasses) && h[3] == fp) {
      std::vector<std::int64_t> cached(n);
      in.read(reinterpret_cast<char*>(cached.data()), static_cast<std::streamsize>(n * 8));
      if (in && cached == labels)
        return Dataset::from_mapped_pixels(name, {3, o.side, o.side}, nclasses, cache.string(), pixel_offset, n,
                                           std::move(labels));
    }
  }

  // Decode in chunks (in parallel within a chunk), appending to the cache or to memory.
  const int min_side = o.side <= 64 ? o.side : static_cast<int>(std::round(o.side * 256.0 / 224.0));
  std::vector<std::uint8_t> memory;
  std::ofstream out;
  const fs::path tmp = cache.string() + ".tmp";
  if (o.use_cache) {
    std::error_code ec;
    fs::create_directories(cache_dir, ec);
    out.open(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError("cannot write the image cache " + tmp.string() + "; pass another --cache-dir.");
    out.write("BRMTIMG1", 8);
    const std::uint64_t h[4] = {n, side, static_cast<std::uint64_t>(nclasses), fp};
    out.write(reinterpret_cast<const char*>(h), sizeof h);
    out.write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(n * 8));
  } else {
    memory.resize(n * numel);
  }
  const std::size_t chunk = 2048;
  const int threads = std::max(1, o.threads);
  std::vector<std::uint8_t> buf(chunk * numel);
  if (n > chunk) std::cerr << "decoding " << n << " images of " << root.string() << " to " << o.side << "x" << o.side
                           << (o.use_cache ? " (cached in " + cache.string() + ")" : std::string()) << std::endl;
  for (std::size_t begin = 0; begin < n; begin += chunk) {
    const std::size_t end = std::min(n, begin + chunk);
    std::atomic<std::size_t> next{begin};
    std::mutex err_mutex;
    std::string error;
    bool invalid = false;
    auto work = [&] {
      for (std::size_t i = next++; i < end; i = next++) {
        try {
          int w = 0, h = 0;
          const auto rgb = decode_jpeg_rgb(files[i], w, h, min_side);
          const auto planes = raw::resize_to_planes(rgb, w, h, o.side, files[i]);
          std::uint8_t* dst = o.use_cache ? buf.data() + (i - begin) * numel : memory.data() + i * numel;
          std::memcpy(dst, planes.data(), numel);
        } catch (const Error& e) {
          std::lock_guard<std::mutex> lock(err_mutex);
          if (error.empty()) {
            error = e.what();
            invalid = dynamic_cast<const InvalidInput*>(&e) != nullptr;
          }
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (!error.empty()) {
      if (out.is_open()) {
        out.close();
        std::error_code ec;
        fs::remove(tmp, ec);
      }
      if (invalid) throw InvalidInput(error);
      throw IoError(error);
    }
    if (o.use_cache) out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>((end - begin) * numel));
  }
  if (!o.use_cache)
    return Dataset::from_pixels(name, {3, o.side, o.side}, nclasses, std::move(memory), std::move(labels));
  out.close();
  if (!out) throw IoError("writing the image cache " + tmp.string() + " failed (disk full?).");
  fs::rename(tmp, cache);
  return Dataset::from_mapped_pixels(name, {3, o.side, o.side}, nclasses, cache.string(), pixel_offset, n,
                                     std::move(labels));
}

}  // namespace batchrmt::networks
