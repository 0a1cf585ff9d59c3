// Helpers of the networks tests: a scratch folder and writers of tiny files in each format.
#pragma once

#include <unistd.h>
#if __has_include(<turbojpeg.h>)
#include <turbojpeg.h>
#define BATCHRMT_TEST_HAS_TURBOJPEG 1
#endif
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace batchrmt::testing {

// A fresh folder under the system temp dir, removed at destruction.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& tag) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("batchrmt_nw_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline void put_be32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

inline void write_gz(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

inline void write_raw(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// IDX image file of n images rows x cols whose pixel (i, r, c) = (7 i + 3 r + c) mod 256.
inline std::vector<std::uint8_t> idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols,
                                            std::uint32_t magic = 0x00000803u) {
  std::vector<std::uint8_t> b;
  put_be32(b, magic);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c) b.push_back(static_cast<std::uint8_t>((7 * i + 3 * r + c) % 256));
  return b;
}

inline std::vector<std::uint8_t> idx_labels(const std::vector<std::uint8_t>& labels, std::uint32_t magic = 0x00000801u) {
  std::vector<std::uint8_t> b;
  put_be32(b, magic);
  put_be32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// CIFAR-100 records: coarse = i % 20, fine = (3 i) % 100, pixel k of record i = (i + k) mod 256.
inline std::vector<std::uint8_t> cifar_records(std::size_t n) {
  std::vector<std::uint8_t> b;
  for (std::size_t i = 0; i < n; ++i) {
    b.push_back(static_cast<std::uint8_t>(i % 20));
    b.push_back(static_cast<std::uint8_t>((3 * i) % 100));
    for (std::size_t k = 0; k < 3072; ++k) b.push_back(static_cast<std::uint8_t>((i + k) % 256));
  }
  return b;
}

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
// Writes a w x h JPEG (quality 100, 4:4:4) whose pixels are the constant colour (r, g, b).
inline void write_jpeg(const std::string& path, int w, int h, unsigned char r, unsigned char g, unsigned char b) {
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  }
  tjhandle tj = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  tjCompress2(tj, rgb.data(), w, 0, h, TJPF_RGB, &jpeg, &size, TJSAMP_444, 100, TJFLAG_ACCURATEDCT);
  write_raw(path, std::vector<std::uint8_t>(jpeg, jpeg + size));
  tjFree(jpeg);
  tjDestroy(tj);
}

// ImageFolder tree: {train,val}/n000/{a.JPEG (40x30 red), b.jpg (64x64 green)},
// {train,val}/n001/c.JPEG (300x500 blue).
inline void write_image_folder(const std::filesystem::path& root) {
  for (const char* split : {"train", "val"}) {
    std::filesystem::create_directories(root / split / "n001");
    std::filesystem::create_directories(root / split / "n000");
    write_jpeg((root / split / "n000" / "a.JPEG").string(), 40, 30, 200, 20, 20);
    write_jpeg((root / split / "n000" / "b.jpg").string(), 64, 64, 20, 200, 20);
    write_jpeg((root / split / "n001" / "c.JPEG").string(), 300, 500, 20, 20, 200);
  }
}
#endif

}  // namespace batchrmt::testing
