// networks/raw without LibTorch: IDX, CIFAR-100 and JPEG parsing from bytes, with the bounds of
// docs/reliability.md (truncated and lying headers, oversized JPEGs, truncated JPEGs, directories where a
// file belongs). Built in every preset, the asan preset included.
#include <gtest/gtest.h>
#include <unistd.h>
#if __has_include(<turbojpeg.h>)
#include <turbojpeg.h>
#define BATCHRMT_TEST_HAS_TURBOJPEG 1
#endif
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

namespace raw = batchrmt::networks::raw;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "NO EXCEPTION";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << "message: " << (msg) << "\nmissing: " << (part)

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

Bytes idx_images(std::uint32_t n, std::uint32_t r, std::uint32_t c) {
  Bytes b;
  put32(b, 0x803);
  put32(b, n);
  put32(b, r);
  put32(b, c);
  for (std::uint32_t i = 0; i < n * r * c; ++i) b.push_back(static_cast<std::uint8_t>(i * 7));
  return b;
}

Bytes gzip(const Bytes& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

TEST(RawIdx, ReadsPlainAndGzipAndMultiMemberGzip) {
  const Bytes plain = idx_images(3, 4, 5);
  for (const Bytes& b : {plain, gzip(plain)}) {
    const auto img = raw::parse_idx_images(b.data(), b.size(), "x");
    EXPECT_EQ(img.count, 3);
    EXPECT_EQ(img.rows, 4);
    EXPECT_EQ(img.cols, 5);
    EXPECT_EQ(img.pixels, Bytes(plain.begin() + 16, plain.end()));
  }
  // Two gzip members (as `cat a.gz b.gz`) read as one stream, like gzread.
  Bytes first(plain.begin(), plain.begin() + 30), second(plain.begin() + 30, plain.end());
  Bytes two = gzip(first);
  const Bytes g2 = gzip(second);
  two.insert(two.end(), g2.begin(), g2.end());
  EXPECT_EQ(raw::parse_idx_images(two.data(), two.size(), "x").pixels, Bytes(plain.begin() + 16, plain.end()));
}

TEST(RawIdx, TruncatedLyingOrTrailingFilesAreBadInput) {
  Bytes b = idx_images(3, 28, 28);
  b.resize(b.size() - 100);
  for (const Bytes& t : {b, gzip(b)}) {
    const auto m = error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(t.data(), t.size(), "t.gz"); });
    EXPECT_HAS(m, "t.gz is truncated");
    EXPECT_HAS(m, "3 images");
  }
  // A header claiming 2^32-1 images of 4096 x 4096 over 16 bytes: refused, nothing allocated.
  Bytes lying;
  put32(lying, 0x803);
  put32(lying, 0xffffffffu);
  put32(lying, 4096);
  put32(lying, 4096);
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(lying.data(), lying.size(), "l"); }),
             "over the cap");
  lying[5] = 0;  // 16 Mi images of 4096 x 4096: under no cap but the bytes are not there
  lying[4] = 0;
  lying[6] = 0;
  lying[7] = 1;
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(lying.data(), lying.size(), "l"); }),
             "truncated");
  Bytes trailing = idx_images(1, 2, 2);
  trailing.push_back(0);
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(trailing.data(), trailing.size(), "tr"); }),
             "more bytes");
  // A gzip stream cut in half, and gzip followed by garbage.
  Bytes g = gzip(idx_images(50, 28, 28));
  Bytes cut(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(g.size() / 2));
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(cut.data(), cut.size(), "c"); }),
             "truncated");
  g.push_back('x');
  g.push_back('y');
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(g.data(), g.size(), "g"); }),
             "after the end of its gzip stream");
  // Bytes that are not gzip beyond the magic.
  Bytes bad = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_images(bad.data(), bad.size(), "b"); }).rfind("b ", 0),
            0u);
}

TEST(RawIdx, LabelsAreCheckedAgainstTheClassCount) {
  Bytes b;
  put32(b, 0x801);
  put32(b, 3);
  for (std::uint8_t v : {1, 2, 10}) b.push_back(v);
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_labels(b.data(), b.size(), 10, "lab"); }),
             "label 10 of item 2");
  EXPECT_EQ(raw::parse_idx_labels(b.data(), b.size(), 11, "lab"), (std::vector<std::int64_t>{1, 2, 10}));
  b.pop_back();
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_idx_labels(b.data(), b.size(), 11, "lab"); }),
             "truncated");
}

TEST(RawCifar, RecordsLabelsAndBadSizes) {
  Bytes b(2 * raw::kCifarRecord, 5);
  b[0] = 19;
  b[1] = 99;
  const auto r = raw::parse_cifar100(b.data(), b.size(), false, "c.bin");
  EXPECT_EQ(r.labels, (std::vector<std::int64_t>{99, 5}));
  EXPECT_EQ(raw::parse_cifar100(b.data(), b.size(), true, "c.bin").labels, (std::vector<std::int64_t>{19, 5}));
  EXPECT_EQ(r.pixels.size(), 2u * 3072u);
  b.pop_back();
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_cifar100(b.data(), b.size(), false, "c.bin"); }),
             "truncated");
  b.assign(raw::kCifarRecord, 0);
  b[1] = 100;
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_cifar100(b.data(), b.size(), false, "c.bin"); }),
             "fine label 100");
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::parse_cifar100(b.data(), 0, false, "c.bin"); }), "empty");
}

TEST(RawFiles, ADirectoryOrAMissingFileIsBadInputNamingIt) {
  const fs::path d = fs::temp_directory_path() / ("batchrmt_raw_" + std::to_string(::getpid()));
  fs::create_directories(d / "train.bin");
  const auto m = error_of<batchrmt::InvalidInput>([&] { raw::read_file_bytes((d / "train.bin").string(), "the CIFAR-100 file"); });
  EXPECT_HAS(m, "the CIFAR-100 file " + (d / "train.bin").string() + " is a directory");
  EXPECT_EQ(m.find("9223372036854775807"), std::string::npos) << m;
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::read_file_bytes((d / "absent").string(), "the file"); }),
             "No such file");
  {
    std::ofstream(d / "f") << "hello";
  }
  EXPECT_EQ(raw::read_file_bytes((d / "f").string(), "the file"), (Bytes{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::read_file_bytes((d / "f").string(), "the file", 4); }),
             "over the cap of 4 bytes");
  fs::remove_all(d);
}

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
namespace {

Bytes jpeg(int w, int h, int seed = 0) {
  Bytes rgb(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>((i * 31 + static_cast<std::size_t>(seed)) % 251);
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  tjCompress2(tj, rgb.data(), w, 0, h, TJPF_RGB, &out, &size, TJSAMP_420, 90, 0);
  Bytes b(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return b;
}

// Rewrites the frame header (SOF0) to claim w x h pixels.
void claim_size(Bytes& b, int w, int h) {
  for (std::size_t i = 0; i + 8 < b.size(); ++i)
    if (b[i] == 0xff && b[i + 1] == 0xc0) {
      b[i + 5] = static_cast<std::uint8_t>(h >> 8);
      b[i + 6] = static_cast<std::uint8_t>(h);
      b[i + 7] = static_cast<std::uint8_t>(w >> 8);
      b[i + 8] = static_cast<std::uint8_t>(w);
      return;
    }
  FAIL() << "no SOF0 marker";
}

}  // namespace

TEST(RawJpeg, DecodesAndResizesBothRules) {
  if (!raw::jpeg_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  const Bytes b = jpeg(64, 48);
  const auto img = raw::decode_jpeg(b.data(), b.size(), "a.JPEG");
  EXPECT_EQ(img.width, 64);
  EXPECT_EQ(img.height, 48);
  EXPECT_EQ(img.rgb.size(), 64u * 48u * 3u);
  EXPECT_EQ(raw::resize_to_planes(img.rgb, 64, 48, 32).size(), 3u * 32u * 32u);
  EXPECT_EQ(raw::resize_to_planes(img.rgb, 64, 48, 80).size(), 3u * 80u * 80u);
  // DCT scaling: the shorter side stays >= min_side.
  const auto half = raw::decode_jpeg(b.data(), b.size(), "a.JPEG", 24);
  EXPECT_EQ(half.height, 24);
}

TEST(RawJpeg, AHeaderOverTheCapIsRefusedBeforeDecoding) {
  if (!raw::jpeg_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  Bytes b = jpeg(64, 64);
  claim_size(b, 65500, 65500);
  const auto m = error_of<batchrmt::InvalidInput>([&] { raw::decode_jpeg(b.data(), b.size(), "big.JPEG", 32); });
  EXPECT_HAS(m, "big.JPEG declares 65500 x 65500 pixels");
  EXPECT_HAS(m, "cap of 16384 a side and 67108864 pixels");
  // Under the cap but more than the data holds: a truncated image, refused too.
  claim_size(b, 640, 640);
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::decode_jpeg(b.data(), b.size(), "big.JPEG", 32); }),
             "damaged or truncated");
}

TEST(RawJpeg, ATruncatedJpegIsRefused) {
  if (!raw::jpeg_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  Bytes b = jpeg(64, 64);
  b.resize(b.size() / 2);
  const auto m = error_of<batchrmt::InvalidInput>([&] { raw::decode_jpeg(b.data(), b.size(), "half.JPEG", 32); });
  EXPECT_HAS(m, "half.JPEG is damaged or truncated");
  EXPECT_HAS(m, "Premature end of JPEG file");
}

TEST(RawJpeg, StrayBytesBeforeTheEndMarkerAreTolerated) {
  if (!raw::jpeg_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  Bytes b = jpeg(32, 32);
  const Bytes good = raw::decode_jpeg(b.data(), b.size(), "g.JPEG").rgb;
  ASSERT_EQ(b[b.size() - 2], 0xff);
  ASSERT_EQ(b[b.size() - 1], 0xd9);
  b.insert(b.end() - 2, {0x12, 0x34, 0x56});  // "3 extraneous bytes before marker 0xd9"
  EXPECT_EQ(raw::decode_jpeg(b.data(), b.size(), "g.JPEG").rgb, good);
}

TEST(RawJpeg, ElongatedImagesAndNonJpegBytesAreRefused) {
  if (!raw::jpeg_available()) GTEST_SKIP() << "built without libjpeg-turbo";
  const Bytes wide = jpeg(4000, 1);
  const auto img = raw::decode_jpeg(wide.data(), wide.size(), "wide.JPEG");
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::resize_to_planes(img.rgb, img.width, img.height, 224, "wide.JPEG"); }),
             "wide.JPEG of 4000 x 1 pixels is too elongated");
  const Bytes text = {'n', 'o', 't', ' ', 'j', 'p', 'g'};
  EXPECT_HAS(error_of<batchrmt::InvalidInput>([&] { raw::decode_jpeg(text.data(), text.size(), "t.JPEG"); }),
             "not a readable JPEG");
}
#endif
