//===- ImageDecode.cpp - JPEG, PNG and PNM files to pixels ----------------===//
#include "runtime/data/ImageDecode.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace alexc::rt {
namespace {

std::string lower(std::string s) {
  for (char &c : s)
    c = char(std::tolower(uint8_t(c)));
  return s;
}

bool sizeAllowed(const std::string &path, const char *kind, int64_t w,
                 int64_t h, std::string &error) {
  if (w >= 1 && h >= 1 && w * h <= kMaxImagePixels)
    return true;
  error = path + ": the " + kind + " header announces " + std::to_string(w) +
          "x" + std::to_string(h) + " pixels; alexc takes 1 to 2^28 pixels";
  return false;
}

bool decodeJpeg(const std::string &path, const std::vector<uint8_t> &bytes,
                DecodedImage &out, std::string &error) {
  tjhandle tj = tjInitDecompress();
  int w = 0, h = 0, subsampling = 0, colorspace = 0;
  auto failWith = [&](const std::string &what) {
    error = path + ": " + what + " (libjpeg-turbo: " + tjGetErrorStr2(tj) + ")";
    tjDestroy(tj);
    return false;
  };
  if (tjDecompressHeader3(tj, bytes.data(), (unsigned long)bytes.size(), &w, &h,
                          &subsampling, &colorspace) != 0 ||
      w <= 0 || h <= 0)
    return failWith("not a readable JPEG");
  if (!sizeAllowed(path, "JPEG", w, h, error)) {
    tjDestroy(tj);
    return false;
  }
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    tjDestroy(tj);
    error = path + ": a CMYK JPEG; alexc reads gray and RGB JPEGs";
    return false;
  }
  out.height = h, out.width = w;
  out.channels = colorspace == TJCS_GRAY ? 1 : 3;
  out.pixels.resize(size_t(int64_t(w) * h * out.channels));
  // Default flags: the accurate integer IDCT and fancy upsampling, as PIL.
  // A warning (a truncated file) fails too, as PIL refuses truncated images.
  if (tjDecompress2(tj, bytes.data(), (unsigned long)bytes.size(),
                    out.pixels.data(), w, 0, h,
                    out.channels == 1 ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_STOPONWARNING) != 0)
    return failWith("corrupt or truncated JPEG");
  tjDestroy(tj);
  return true;
}

bool decodePng(const std::string &path, const std::vector<uint8_t> &bytes,
               DecodedImage &out, std::string &error) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    error = path + ": not a readable PNG (libpng: " + png.message + ")";
    return false;
  }
  if (!sizeAllowed(path, "PNG", png.width, png.height, error)) {
    png_image_free(&png);
    return false;
  }
  // Alpha is read and then dropped, as PIL's convert does (no compositing).
  bool color = png.format & PNG_FORMAT_FLAG_COLOR;
  png.format = color ? PNG_FORMAT_RGBA : PNG_FORMAT_GA;
  png.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  int64_t stored = color ? 4 : 2;
  std::vector<uint8_t> withAlpha(size_t(png.width) * png.height * stored);
  if (!png_image_finish_read(&png, nullptr, withAlpha.data(), 0, nullptr)) {
    error = path + ": corrupt or truncated PNG (libpng: " + png.message + ")";
    png_image_free(&png);
    return false;
  }
  out.height = png.height, out.width = png.width, out.channels = color ? 3 : 1;
  out.pixels.resize(size_t(out.height * out.width * out.channels));
  for (int64_t i = 0; i < out.height * out.width; ++i)
    for (int64_t c = 0; c < out.channels; ++c)
      out.pixels[size_t(i * out.channels + c)] =
          withAlpha[size_t(i * stored + c)];
  return true;
}

bool decodePnm(const std::string &path, const std::vector<uint8_t> &bytes,
               DecodedImage &out, std::string &error) {
  out.channels = bytes[1] == '6' ? 3 : 1;
  size_t at = 2;
  int64_t w = 0, h = 0, maxval = 0;
  auto field = [&](int64_t &v) {
    return pnmHeaderField(bytes.data(), bytes.size(), at, v);
  };
  if (!field(w) || !field(h) || !field(maxval)) {
    error = path + ": a PGM/PPM header needs width, height and maximum value";
    return false;
  }
  if (!sizeAllowed(path, "PGM/PPM", w, h, error))
    return false;
  if (maxval != 255) {
    error = path + ": a PGM/PPM with maximum value " + std::to_string(maxval) +
            "; alexc reads 8-bit files (maximum 255)";
    return false;
  }
  ++at; // the one blank after the maximum
  size_t need = size_t(w * h * out.channels);
  if (bytes.size() < at + need) {
    error =
        path + (out.channels == 3 ? ": truncated PPM: " : ": truncated PGM: ") +
        std::to_string(need) + " bytes of pixels announced, " +
        std::to_string(bytes.size() > at ? bytes.size() - at : 0) + " present";
    return false;
  }
  out.height = h, out.width = w;
  out.pixels.assign(bytes.begin() + long(at), bytes.begin() + long(at + need));
  return true;
}

} // namespace

bool isImageFileName(const std::string &name, bool &unsupported) {
  size_t dot = name.rfind('.');
  std::string suffix = dot == std::string::npos ? "" : lower(name.substr(dot));
  static const char *decoded[] = {".jpg", ".jpeg", ".png", ".ppm", ".pgm"};
  static const char *other[] = {".bmp", ".tif", ".tiff", ".webp"};
  unsupported =
      std::find(std::begin(other), std::end(other), suffix) != std::end(other);
  return std::find(std::begin(decoded), std::end(decoded), suffix) !=
         std::end(decoded);
}

bool decodeImage(const std::string &path, const std::vector<uint8_t> &bytes,
                 DecodedImage &out, std::string &error) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    return bytes.size() >= magic.size() &&
           std::equal(magic.begin(), magic.end(), bytes.begin());
  };
  if (starts({0xFF, 0xD8, 0xFF}))
    return decodeJpeg(path, bytes, out, error);
  if (starts({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}))
    return decodePng(path, bytes, out, error);
  if (starts({'P', '5'}) || starts({'P', '6'}))
    return decodePnm(path, bytes, out, error);
  error = path + (bytes.empty() ? ": an empty file"
                                : ": not a JPEG, PNG or binary PGM/PPM image "
                                  "(by its first bytes)");
  return false;
}

bool readFileBytes(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  return true;
}

bool pnmHeaderField(const uint8_t *b, size_t size, size_t &at, int64_t &value) {
  for (;;) {
    while (at < size && std::isspace(b[at]))
      ++at;
    if (at < size && b[at] == '#')
      while (at < size && b[at] != '\n')
        ++at;
    else
      break;
  }
  size_t start = at;
  value = 0;
  while (at < size && std::isdigit(b[at]) && at - start < 9)
    value = value * 10 + (b[at++] - '0');
  return at > start;
}

bool decodeImageFile(const std::string &path, DecodedImage &out,
                     std::string &error) {
  std::vector<uint8_t> bytes;
  return readFileBytes(path, bytes, error) &&
         decodeImage(path, bytes, out, error);
}

void toPlanes(const DecodedImage &in, int64_t channels, uint8_t *out) {
  int64_t n = in.height * in.width;
  const uint8_t *p = in.pixels.data();
  if (in.channels == channels) {
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < n; ++i)
        out[c * n + i] = p[i * channels + c];
  } else if (in.channels == 1) {
    for (int64_t c = 0; c < channels; ++c)
      std::memcpy(out + c * n, p, size_t(n));
  } else {
    for (int64_t i = 0; i < n; ++i)
      out[i] = pilLuma(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
  }
}

} // namespace alexc::rt
