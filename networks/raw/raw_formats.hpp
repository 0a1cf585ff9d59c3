// The byte-level dataset formats, without LibTorch: IDX (LeCun's MNIST format, plain or gzip),
// CIFAR-100 binary records and JPEG (libjpeg-turbo), each as a function from bytes to plain
// arrays. networks/datasets.cpp and networks/image_folder.cpp read files through these, and
// the fuzz targets (tests/fuzz/) and the AddressSanitizer build (preset asan, without
// LibTorch) call them directly.
//
// Every function checks the sizes it is handed before it allocates: a header may claim at most
// what the bytes behind it can hold (IDX, CIFAR) or what the caps below allow (JPEG). A file
// that is truncated, corrupt, foreign or of the wrong kind is InvalidInput (exit 2), with one
// sentence naming `name` (the file) and what is allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace batchrmt::networks::raw {

// ---------------------------------------------------------------- files

// The bytes of the regular file `path` (`what` names it in messages, e.g. "the CIFAR-100
// file"). A directory, a missing or unreadable file, or one over `max_bytes` is InvalidInput.
std::vector<std::uint8_t> read_file_bytes(const std::string& path, const std::string& what,
                                          std::uint64_t max_bytes = std::uint64_t{1} << 36);

// The first `limit` bytes of the stream `data` holds: gzip-decompressed (all members) when it
// starts with the gzip magic 1f 8b, else `data` itself. Fewer when the stream is shorter. A
// corrupt or cut gzip stream is InvalidInput naming `name`. Memory grows with the bytes
// actually produced, never with `limit`.
std::vector<std::uint8_t> gunzip_prefix(const std::uint8_t* data, std::size_t size, std::size_t limit,
                                        const std::string& name);

// ---------------------------------------------------------------- IDX

// Images: magic 0x00000803, u32 big-endian count, rows, cols, then count*rows*cols bytes.
// Labels: magic 0x00000801, u32 count, then count bytes, each < classes.
// `data` is the file's bytes, gzip-compressed or plain. Sides must lie in 1..kIdxMaxSide, the
// payload must be exactly what the header declares (truncated or trailing bytes are refused).
inline constexpr std::int64_t kIdxMaxSide = 4096;
struct IdxImages {
  std::int64_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols
};
IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name);
std::vector<std::int64_t> parse_idx_labels(const std::uint8_t* data, std::size_t size, int classes,
                                           const std::string& name);

// ---------------------------------------------------------------- CIFAR-100

// Records of 1 coarse label (0..19), 1 fine label (0..99) and 3072 pixel bytes (R, G, B planes
// of 32 x 32). An empty file or a partial last record is refused.
inline constexpr std::size_t kCifarRecord = 2 + 3072;
struct CifarRecords {
  std::vector<std::uint8_t> pixels;  // count x 3 x 32 x 32
  std::vector<std::int64_t> labels;  // coarse or fine, as asked
};
CifarRecords parse_cifar100(const std::uint8_t* data, std::size_t size, bool coarse_labels, const std::string& name);

// ---------------------------------------------------------------- JPEG

// Caps on what a JPEG header may declare, checked before anything is decoded. The default
// allows every ImageNet (ILSVRC-2012) image, whose largest are a few thousand pixels a side.
struct JpegLimits {
  int max_side = 16384;                          // each of width and height
  std::uint64_t max_pixels = std::uint64_t{1} << 26;  // width * height (64 Mi pixels, 192 MiB as RGB)
};
// False when built without libjpeg-turbo (every decode then throws InvalidInput saying so).
bool jpeg_available();
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // interleaved, width * height * 3
};
// Decodes a JPEG to RGB at the smallest DCT scaling factor that keeps the shorter side >=
// min_side (0: full size). CMYK/YCCK are converted as Pillow does. Refused (InvalidInput
// naming `name`): not a JPEG, a header over `limits`, and damaged or truncated data
// (libjpeg-turbo's warnings, except "extraneous bytes before marker", which leaves the image
// data whole and occurs in a few genuine ImageNet files).
RgbImage decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name, int min_side = 0,
                     const JpegLimits& limits = JpegLimits{});
// Resamples interleaved RGB (width x height) to side x side, returning C x H x W planes: for
// side <= 64 the whole image is box-resampled (the downsampled-ImageNet convention of
// Chrabaszcz et al. 2017), above, the shorter side is resized to side * 256/224 with PIL's
// triangle filter and the centre side x side crop kept. side must lie in 1..4096; an image so
// elongated that the resized one would exceed 16 Mi pixels is refused, naming `name`.
std::vector<std::uint8_t> resize_to_planes(const std::vector<std::uint8_t>& rgb, int width, int height, int side,
                                           const std::string& name = "(in memory)");

}  // namespace batchrmt::networks::raw
