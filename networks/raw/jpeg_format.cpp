// JPEG decoding with libjpeg-turbo's TurboJPEG API, with the header checked against caps
// before anything is decoded, and PIL-style resampling to side x side (no LibTorch here).
#ifdef BATCHRMT_WITH_TURBOJPEG
#include <turbojpeg.h>
#endif

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

namespace batchrmt::networks::raw {

bool jpeg_available() {
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

// Resampling weights of PIL's ImagingResample (box or triangle filter, antialiased;
// Pillow src/libImaging/Resample.c, precompute_coeffs).
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

// Interleaved RGB (w x h) resampled to ow x oh, separable, in double; only the window of
// cw x ch output pixels at (x0, y0) is evaluated and returned (interleaved RGB, cw x ch). Each
// output pixel is the same sum in the same order as in the full resample, so the window equals
// the crop of the full image bit for bit, at a cost that no longer grows with the discarded
// part (an elongated image's centre crop: O(ch * cw * kernel) instead of O(oh * ow * kernel)).
std::vector<double> resample_window(const std::uint8_t* src, int w, int h, int ow, int oh, int x0, int y0, int cw,
                                    int ch, bool box) {
  const Coeffs cx = coefficients(w, ow, box), cy = coefficients(h, oh, box);
  // The source rows the window's vertical kernels read.
  int row_lo = h, row_hi = 0;
  for (int o = y0; o < y0 + ch; ++o) {
    if (cy.count[o] <= 0) continue;
    row_lo = std::min(row_lo, cy.start[o]);
    row_hi = std::max(row_hi, cy.start[o] + cy.count[o]);
  }
  const int rows = std::max(0, row_hi - row_lo);
  std::vector<double> tmp(static_cast<std::size_t>(cw) * static_cast<std::size_t>(rows) * 3, 0.0);
  for (int y = row_lo; y < row_hi; ++y)
    for (int o = x0; o < x0 + cw; ++o)
      for (int c = 0; c < 3; ++c) {
        double a = 0.0;
        for (int k = 0; k < cx.count[o]; ++k)
          a += cx.w[static_cast<std::size_t>(o) * cx.ksize + k] *
               src[(static_cast<std::size_t>(y) * w + static_cast<std::size_t>(cx.start[o] + k)) * 3 + c];
        tmp[(static_cast<std::size_t>(y - row_lo) * cw + (o - x0)) * 3 + c] = a;
      }
  std::vector<double> out(static_cast<std::size_t>(cw) * static_cast<std::size_t>(ch) * 3, 0.0);
  for (int o = y0; o < y0 + ch; ++o)
    for (int x = 0; x < cw; ++x)
      for (int c = 0; c < 3; ++c) {
        double a = 0.0;
        for (int k = 0; k < cy.count[o]; ++k)
          a += cy.w[static_cast<std::size_t>(o) * cy.ksize + k] *
               tmp[(static_cast<std::size_t>(cy.start[o] + k - row_lo) * cw + x) * 3 + c];
        out[(static_cast<std::size_t>(o - y0) * cw + x) * 3 + c] = a;
      }
  return out;
}

// Pixels of the intermediate image of the centre-crop path (side > 64) at most: 16 Mi.
constexpr std::uint64_t kMaxResized = std::uint64_t{1} << 24;

}  // namespace

RgbImage decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name, int min_side,
                     const JpegLimits& limits) {
#ifndef BATCHRMT_WITH_TURBOJPEG
  (void)data;
  (void)size;
  (void)min_side;
  (void)limits;
  throw InvalidInput("cannot decode " + name + ": this batchrmt was built without libjpeg-turbo (Debian: "
                     "libturbojpeg0-dev); install it and rebuild, or copy a decoded cache (--cache-dir) made elsewhere.");
#else
  if (size == 0) throw InvalidInput("the image " + name + " is empty, not a JPEG file.");
  if (size > 0xffffffffu) throw InvalidInput("the image " + name + " has more than 4 GiB, over what a JPEG file may hold here.");
  TjHandle tj;
  if (!tj.h) throw IoError("libjpeg-turbo could not be initialised.");
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.h, data, static_cast<unsigned long>(size), &w, &h, &subsamp, &colorspace) != 0)
    throw InvalidInput("the image " + name + " is not a readable JPEG file (" + tj_message(tj.h) + ").");
  if (w <= 0 || h <= 0) throw InvalidInput("the image " + name + " has no pixels.");
  if (w > limits.max_side || h > limits.max_side ||
      static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > limits.max_pixels)
    throw InvalidInput("the image " + name + " declares " + std::to_string(w) + " x " + std::to_string(h) +
                       " pixels, over the cap of " + std::to_string(limits.max_side) + " a side and " +
                       std::to_string(limits.max_pixels) + " pixels in all; it is refused before decoding.");
  // Decode at the smallest DCT scaling factor that keeps the shorter side >= min_side.
  int sw = w, sh = h;
  if (min_side > 0) {
    int n = 0;
    tjscalingfactor* f = tjGetScalingFactors(&n);
    for (int i = 0; f && i < n; ++i) {
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
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(sw) * static_cast<std::size_t>(sh) * static_cast<std::size_t>(ps));
  if (tjDecompress2(tj.h, data, static_cast<unsigned long>(size), buf.data(), sw, 0, sh, pf, TJFLAG_ACCURATEDCT) != 0) {
    const bool warning = tjGetErrorCode(tj.h) == TJERR_WARNING;
    const std::string m = tj_message(tj.h);
    if (!warning) throw InvalidInput("the image " + name + " is not a readable JPEG file (" + m + ").");
    // A warning means damaged or missing data (libjpeg fills it with grey), e.g. "Premature
    // end of JPEG file" for a truncated one. The exception: stray bytes just before the end
    // marker (0xd9), which libjpeg reports after all image data has been decoded; the message
    // is the first warning of the decode, so no earlier damage hides behind it.
    if (m.find("extraneous bytes before marker 0xd9") == std::string::npos)
      throw InvalidInput("the image " + name + " is damaged or truncated (libjpeg-turbo: " + m +
                         "); re-encode or remove it.");
  }
  RgbImage out;
  out.width = sw;
  out.height = sh;
  if (!cmyk) {
    out.rgb = std::move(buf);
    return out;
  }
  // Adobe CMYK JPEGs store inverted values: R = C * K / 255 (as Pillow converts them).
  out.rgb.resize(static_cast<std::size_t>(sw) * static_cast<std::size_t>(sh) * 3);
  for (std::size_t i = 0; i < static_cast<std::size_t>(sw) * static_cast<std::size_t>(sh); ++i) {
    const unsigned k = buf[i * 4 + 3];
    for (int c = 0; c < 3; ++c) out.rgb[i * 3 + c] = static_cast<std::uint8_t>((buf[i * 4 + c] * k + 127) / 255);
  }
  return out;
#endif
}

std::vector<std::uint8_t> resize_to_planes(const std::vector<std::uint8_t>& rgb, int width, int height, int side,
                                           const std::string& name) {
  if (side < 1 || side > 4096)
    throw InvalidInput("image side is " + std::to_string(side) + ", but must lie in 1..4096.");
  if (width < 1 || height < 1 ||
      rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3)
    throw InvalidInput("resize_to_planes: " + std::to_string(rgb.size()) + " bytes are not an RGB image of " +
                       std::to_string(width) + " x " + std::to_string(height) + " pixels.");
  const std::uint8_t* src = rgb.data();
  std::vector<double> img;
  if (side <= 64) {
    img = resample_window(src, width, height, side, side, 0, 0, side, side, /*box=*/true);
  } else {
    const double short_target = std::round(side * 256.0 / 224.0);
    const double s = short_target / std::min(width, height);
    const int rw = std::max(side, static_cast<int>(std::round(width * s)));
    const int rh = std::max(side, static_cast<int>(std::round(height * s)));
    if (static_cast<std::uint64_t>(rw) * static_cast<std::uint64_t>(rh) > kMaxResized)
      throw InvalidInput("the image " + name + " of " + std::to_string(width) + " x " + std::to_string(height) +
                         " pixels is too elongated: resizing its shorter side to " + std::to_string(static_cast<int>(short_target)) +
                         " would make it " + std::to_string(rw) + " x " + std::to_string(rh) + " pixels, over the cap of " +
                         std::to_string(kMaxResized) + ".");
    img = resample_window(src, width, height, rw, rh, (rw - side) / 2, (rh - side) / 2, side, side, /*box=*/false);
  }
  std::vector<std::uint8_t> planes(static_cast<std::size_t>(3) * side * side);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const double v = img[(static_cast<std::size_t>(y) * side + static_cast<std::size_t>(x)) * 3 + c];
        planes[(static_cast<std::size_t>(c) * side + y) * side + x] =
            static_cast<std::uint8_t>(std::clamp(std::lround(v), 0l, 255l));
      }
  return planes;
}

}  // namespace batchrmt::networks::raw
