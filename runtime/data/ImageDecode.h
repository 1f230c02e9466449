//===- ImageDecode.h - JPEG, PNG and PNM files to pixels ---------*- C++
//-*-===//
//
// Decodes with libjpeg-turbo (the library PIL uses: the same IDCT and
// upsampling, so the same pixels) and libpng, and converts channels as
// PIL's convert("RGB") and convert("L") do.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_IMAGEDECODE_H
#define ALEXC_RUNTIME_DATA_IMAGEDECODE_H

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

/// Images with more pixels than this are refused before any allocation.
constexpr int64_t kMaxImagePixels = int64_t(1) << 28;

/// One decoded image: 1 (gray) or 3 (RGB) interleaved channels.
struct DecodedImage {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels; // [height, width, channels]
};

/// Whether `name` ends in an image suffix alexc decodes (.jpg, .jpeg,
/// .png, .ppm, .pgm, in any case); `unsupported` is set for the other
/// suffixes torchvision's ImageFolder takes (.bmp, .tif, .tiff, .webp).
bool isImageFileName(const std::string &name, bool &unsupported);

/// A whole file's bytes; false with `error` naming it.
bool readFileBytes(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error);

/// The next number of a PGM/PPM header at `at`, after blanks and # comments
/// (at most 9 digits); false when there is none.
bool pnmHeaderField(const uint8_t *data, size_t size, size_t &at,
                    int64_t &value);

/// Decodes `bytes` (a file's contents, recognized by content: JPEG, PNG,
/// binary PGM/PPM); errors name `path` and the problem.
bool decodeImage(const std::string &path, const std::vector<uint8_t> &bytes,
                 DecodedImage &out, std::string &error);

/// Reads and decodes a file.
bool decodeImageFile(const std::string &path, DecodedImage &out,
                     std::string &error);

/// PIL's convert("L"): (299 R + 587 G + 114 B) / 1000 in its fixed-point
/// form (the L24 macro), rounded.
inline uint8_t pilLuma(uint8_t r, uint8_t g, uint8_t b) {
  return uint8_t((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

/// Writes `in` as `channels` planes ([channels, height, width]) to `out`:
/// gray to RGB repeats the plane, RGB to gray takes pilLuma.
void toPlanes(const DecodedImage &in, int64_t channels, uint8_t *out);

} // namespace alexc::rt

#endif
