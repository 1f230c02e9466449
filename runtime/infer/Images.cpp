//===- Images.cpp - Images to classify, from IDX and picture files --------===//
#include "runtime/infer/Images.h"
#include "runtime/data/ImageDecode.h"
#include "runtime/train/Data.h"

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace alexc::rt {
namespace {

constexpr int64_t kMaxSide = 1 << 16;

/// The next header field of a PGM (ImageDecode.h's reader).
bool pgmField(const std::string &text, size_t &at, int64_t &value) {
  return pnmHeaderField(reinterpret_cast<const uint8_t *>(text.data()),
                        text.size(), at, value);
}

bool readPgm(const std::string &path, const std::string &text, Image &image,
             std::string &error) {
  size_t at = 2;
  int64_t maxval = 0;
  if (!pgmField(text, at, image.cols) || !pgmField(text, at, image.rows) ||
      !pgmField(text, at, maxval)) {
    error = path + ": a PGM header needs width, height and maximum value";
    return false;
  }
  if (image.rows < 1 || image.cols < 1 || image.rows > kMaxSide ||
      image.cols > kMaxSide || maxval < 1 || maxval > 65535) {
    error = path + ": a PGM of " + std::to_string(image.cols) + "x" +
            std::to_string(image.rows) + " with maximum " +
            std::to_string(maxval) + "; sides must be 1.." +
            std::to_string(kMaxSide) + ", the maximum 1..65535";
    return false;
  }
  int64_t n = image.rows * image.cols, bytes = maxval > 255 ? 2 : 1;
  image.pixels.resize(size_t(n));
  auto scale = [&](int64_t v) {
    return uint8_t((v * 255 + maxval / 2) / maxval);
  };
  if (text[1] == '5') {
    ++at; // the one blank after the maximum
    if (text.size() < at + size_t(n * bytes)) {
      error = path + ": truncated PGM: " + std::to_string(n * bytes) +
              " bytes of pixels announced, " +
              std::to_string(text.size() > at ? text.size() - at : 0) +
              " present";
      return false;
    }
    for (int64_t i = 0; i < n; ++i) {
      const auto *p = reinterpret_cast<const uint8_t *>(text.data() + at);
      int64_t v = bytes == 1 ? p[i] : (p[2 * i] << 8 | p[2 * i + 1]);
      image.pixels[size_t(i)] = scale(std::min(v, maxval));
    }
    return true;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t v;
    if (!pgmField(text, at, v)) {
      error = path + ": plain PGM ends after " + std::to_string(i) + " of " +
              std::to_string(n) + " pixels";
      return false;
    }
    image.pixels[size_t(i)] = scale(std::min(v, maxval));
  }
  return true;
}

} // namespace

namespace {

/// A gray image as `channels` planes (gray to RGB repeats the plane).
void toChannels(Image &image, int64_t channels) {
  image.channels = channels;
  if (channels == 1)
    return;
  size_t plane = image.pixels.size();
  image.pixels.resize(plane * size_t(channels));
  for (int64_t c = 1; c < channels; ++c)
    std::copy(image.pixels.begin(), image.pixels.begin() + long(plane),
              image.pixels.begin() + long(plane * size_t(c)));
}

bool readIdx(const std::string &path, int64_t channels, std::vector<Image> &out,
             std::string &error) {
  Dataset data;
  if (!readIdxImages(path, data, error))
    return false;
  for (int64_t i = 0; i < data.count; ++i) {
    Image &m = out.emplace_back();
    m.file = path;
    m.index = i;
    m.rows = data.rows;
    m.cols = data.cols;
    auto first = data.images.begin() + i * data.rows * data.cols;
    m.pixels.assign(first, first + data.rows * data.cols);
    toChannels(m, channels);
  }
  return true;
}

} // namespace

bool readImages(const std::string &path, int64_t channels,
                std::vector<Image> &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto starts = [&](const char *magic, size_t n) {
    return text.size() >= n && !std::memcmp(text.data(), magic, n);
  };
  if (starts("\x1f\x8b", 2) || starts("\0\0\x08\x03", 4))
    return readIdx(path, channels, out, error);
  Image image;
  image.file = path;
  // Plain PGMs and those of another maximum than 255, which the training
  // decoder does not take.
  int64_t width = 0, height = 0, maxval = 0;
  size_t at = 2;
  bool otherMaximum = starts("P5", 2) && pgmField(text, at, width) &&
                      pgmField(text, at, height) &&
                      pgmField(text, at, maxval) && maxval != 255;
  if (starts("P2", 2) || otherMaximum) {
    if (!readPgm(path, text, image, error))
      return false;
    toChannels(image, channels);
    out.push_back(std::move(image));
    return true;
  }
  DecodedImage decoded;
  std::vector<uint8_t> bytes(text.begin(), text.end());
  if (!decodeImage(path, bytes, decoded, error)) {
    if (error.find("not a JPEG, PNG") != std::string::npos)
      error = path + ": not an image this program reads (IDX, JPEG, PNG, "
                     "PGM or PPM)";
    return false;
  }
  image.rows = decoded.height, image.cols = decoded.width;
  image.channels = channels;
  image.pixels.resize(size_t(channels * image.rows * image.cols));
  toPlanes(decoded, channels, image.pixels.data());
  out.push_back(std::move(image));
  return true;
}

} // namespace alexc::rt
