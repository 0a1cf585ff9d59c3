// ImageNet in the ImageFolder layout: JPEG decoding with libjpeg-turbo, resampling, and the
// memory-mapped uint8 cache (no LibTorch here).
//
// Cache file (little-endian, written to NAME.tmp and renamed):
//   "BRMTIMG1" | u64 count | u64 side | u64 classes | u64 fingerprint | i64 labels[count] |
//   u8 pixels[count][3][side][side]
// The fingerprint (FNV-1a 64) covers the side, the resize rule and every file's relative
// path, size and modification time, so any change in the folder rebuilds the cache.
#ifdef BATCHRMT_WITH_TURBOJPEG
#include <turbojpeg.h>
#endif
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

namespace fs = std::filesystem;

namespace batchrmt::networks {

bool jpeg_decoding_available() {
#ifdef BATCHRMT_WITH_TURBOJPEG
  return true;
#else
  return false;
#endif
}

namespace {

#ifdef BATCHRMT_WITH_TURBOJPEG
struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

std::string tj_message(tjhandle h) {
  const char* m = tjGetErrorStr2(h);
  return m ? m : "unknown libjpeg-turbo error";
}

#endif

bool is_jpeg_name(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == ".jpeg" || e == ".jpg";
}

// Resampling weights of PIL's ImagingResample (box or triangle filter, antialiased).
struct Coeffs {
  std::vector<int> start, count;
  std::vector<double> w;  // count[i] weights from offset i * ksize
  int ksize = 0;
};

Coeffs coefficients(int in, int out, bool box) {
  const double scale = static_cast<double>(in) / out;
  const double ss = std::max(scale, 1.0);
  const double support = (box ? 0.5 : 1.0) * ss;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.start.resize(static_cast<std::size_t>(out));
  c.count.resize(static_cast<std::size_t>(out));
  c.w.assign(static_cast<std::size_t>(out) * static_cast<std::size_t>(c.ksize), 0.0);
  for (int o = 0; o < out; ++o) {
    const double center = (o + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in);
    double total = 0.0;
    const int n = std::min(xmax - xmin, c.ksize);
    for (int k = 0; k < n; ++k) {
      const double x = (xmin + k - center + 0.5) / ss;
      double f;
      if (box)
        f = (x >= -0.5 && x < 0.5) ? 1.0 : 0.0;
      else
        f = std::max(0.0, 1.0 - std::abs(x));
      c.w[static_cast<std::size_t>(o * c.ksize + k)] = f;
      total += f;
    }
    if (total > 0)
      for (int k = 0; k < n; ++k) c.w[static_cast<std::size_t>(o * c.ksize + k)] /= total;
    c.start[static_cast<std::size_t>(o)] = xmin;
    c.count[static_cast<std::size_t>(o)] = n;
  }
  return c;
}

// Interleaved RGB (w x h) -> interleaved RGB (ow x oh), separable, in double.
std::vector<double> resample(const std::vector<double>& src, int w, int h, int ow, int oh, bool box) {
  const Coeffs cx = coefficients(w, ow, box), cy = coefficients(h, oh, box);
  std::vector<double> tmp(static_cast<std::size_t>(ow) * h * 3, 0.0);
  for (int y = 0; y < h; ++y)
    for (int o = 0; o < ow; ++o)
      for (int ch = 0; ch < 3; ++ch) {
        double a = 0.0;
        for (int k = 0; k < cx.count[o]; ++k)
          a += cx.w[static_cast<std::size_t>(o * cx.ksize + k)] *
               src[(static_cast<std::size_t>(y) * w + static_cast<std::size_t>(cx.start[o] + k)) * 3 + ch];
        tmp[(static_cast<std::size_t>(y) * ow + o) * 3 + ch] = a;
      }
  std::vector<double> out(static_cast<std::size_t>(ow) * oh * 3, 0.0);
  for (int o = 0; o < oh; ++o)
    for (int x = 0; x < ow; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        double a = 0.0;
        for (int k = 0; k < cy.count[o]; ++k)
          a += cy.w[static_cast<std::size_t>(o * cy.ksize + k)] *
               tmp[(static_cast<std::size_t>(cy.start[o] + k) * ow + x) * 3 + ch];
        out[(static_cast<std::size_t>(o) * ow + x) * 3 + ch] = a;
      }
  return out;
}

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
#ifndef BATCHRMT_WITH_TURBOJPEG
  (void)width;
  (void)height;
  (void)min_side;
  throw InvalidInput("cannot decode " + path + ": this batchrmt was built without libjpeg-turbo (Debian: "
                     "libturbojpeg0-dev); install it and rebuild, or copy a decoded cache (--cache-dir) made elsewhere.");
#else
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open the image " + path + ".");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw InvalidInput("the image " + path + " is empty, not a JPEG file.");
  TjHandle tj;
  if (!tj.h) throw IoError("libjpeg-turbo could not be initialised.");
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &h, &subsamp,
                          &colorspace) != 0)
    throw InvalidInput("the image " + path + " is not a readable JPEG file (" + tj_message(tj.h) + ").");
  if (w <= 0 || h <= 0) throw InvalidInput("the image " + path + " has no pixels.");
  // Decode at the smallest DCT scaling factor that keeps the shorter side >= min_side.
  int sw = w, sh = h;
  if (min_side > 0) {
    int n = 0;
    tjscalingfactor* f = tjGetScalingFactors(&n);
    for (int i = 0; i < n; ++i) {
      if (f[i].num > f[i].denom) continue;
      const int cw = TJSCALED(w, f[i]), ch = TJSCALED(h, f[i]);
      if (std::min(cw, ch) >= min_side && static_cast<long>(cw) * ch < static_cast<long>(sw) * sh) {
        sw = cw;
        sh = ch;
      }
    }
  }
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pf = cmyk ? TJPF_CMYK : TJPF_RGB;
  const int ps = tjPixelSize[pf];
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(sw) * sh * ps);
  if (tjDecompress2(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), buf.data(), sw, 0, sh, pf,
                    TJFLAG_ACCURATEDCT) != 0) {
    // Warnings (e.g. premature end of data in a few ImageNet files) still give an image.
    if (tjGetErrorCode(tj.h) != TJERR_WARNING)
      throw InvalidInput("the image " + path + " is not a readable JPEG file (" + tj_message(tj.h) + ").");
  }
  width = sw;
  height = sh;
  if (!cmyk) return buf;
  // Adobe CMYK JPEGs store inverted values: R = C * K / 255 (as Pillow converts them).
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(sw) * sh * 3);
  for (std::size_t i = 0; i < static_cast<std::size_t>(sw) * sh; ++i) {
    const unsigned k = buf[i * 4 + 3];
    for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = static_cast<std::uint8_t>((buf[i * 4 + c] * k + 127) / 255);
  }
  return rgb;
#endif
}

std::vector<std::uint8_t> resize_to_planes(const std::vector<std::uint8_t>& rgb, int width, int height, int side) {
  std::vector<double> src(rgb.begin(), rgb.end());
  std::vector<double> img;
  int ow = side, oh = side, x0 = 0, y0 = 0, rw = side;
  if (side <= 64) {
    img = resample(src, width, height, side, side, /*box=*/true);
  } else {
    const double short_target = std::round(side * 256.0 / 224.0);
    const double s = short_target / std::min(width, height);
    rw = std::max(side, static_cast<int>(std::round(width * s)));
    const int rh = std::max(side, static_cast<int>(std::round(height * s)));
    img = resample(src, width, height, rw, rh, /*box=*/false);
    x0 = (rw - side) / 2;
    y0 = (rh - side) / 2;
  }
  std::vector<std::uint8_t> planes(static_cast<std::size_t>(3) * oh * ow);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        const double v = img[(static_cast<std::size_t>(y + y0) * rw + static_cast<std::size_t>(x + x0)) * 3 + c];
        planes[(static_cast<std::size_t>(c) * oh + y) * ow + x] =
            static_cast<std::uint8_t>(std::clamp(std::lround(v), 0l, 255l));
      }
  return planes;
}

Dataset load_image_folder(const std::string& dir, const std::string& split_in, const ImageFolderOptions& o) {
  const std::string split = split_in == "test" ? "val" : split_in;
  if (o.side < 8 || o.side > 1024)
    throw InvalidInput("image side is " + std::to_string(o.side) + ", but must lie in 8..1024.");
  const fs::path root = fs::path(dir) / split;
  if (!fs::is_directory(root))
    throw InvalidInput("ImageNet folder " + root.string() + " does not exist; --data-dir must hold train/ and val/ "
                       "with one sub-folder of .JPEG files per class (the ImageFolder layout).");
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  std::sort(classes.begin(), classes.end());
  if (classes.empty())
    throw InvalidInput("ImageNet folder " + root.string() + " has no class sub-folders (expected " + split +
                       "/<class>/*.JPEG).");
  std::vector<std::string> files;
  std::vector<std::int64_t> labels;
  std::uint64_t fp = 0xcbf29ce484222325ull;
  const std::uint64_t side = static_cast<std::uint64_t>(o.side);
  fp = fnv1a(fp, &side, sizeof side);
  fp = fnv1a(fp, "box<=64,else-256/224-centre", 27);
  for (std::size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> in_class;
    for (const auto& e : fs::directory_iterator(root / classes[c]))
      if (e.is_regular_file() && is_jpeg_name(e.path())) in_class.push_back(e.path().string());
    if (in_class.empty())
      throw InvalidInput("the class folder " + (root / classes[c]).string() + " contains no .JPEG files.");
    std::sort(in_class.begin(), in_class.end());
    for (auto& f : in_class) {
      const std::string rel = classes[c] + "/" + fs::path(f).filename().string();
      fp = fnv1a(fp, rel.data(), rel.size());
      std::error_code ec;
      const std::uint64_t size = fs::file_size(f, ec);
      const auto mtime = static_cast<std::int64_t>(fs::last_write_time(f, ec).time_since_epoch().count());
      fp = fnv1a(fp, &size, sizeof size);
      fp = fnv1a(fp, &mtime, sizeof mtime);
      files.push_back(std::move(f));
      labels.push_back(static_cast<std::int64_t>(c));
    }
  }
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
          const auto planes = resize_to_planes(rgb, w, h, o.side);
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
