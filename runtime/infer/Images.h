//===- Images.h - Grayscale images from IDX, PNG and PGM files -*- C++ -*-===//
#ifndef ALEXC_RUNTIME_INFER_IMAGES_H
#define ALEXC_RUNTIME_INFER_IMAGES_H

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

/// One 8-bit grayscale image and where it came from.
struct Image {
  std::string file;
  int64_t index = -1; // within an IDX file; -1 for a picture file
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> pixels; // rows * cols
};

/// Appends the images of `path`, recognized by content: an IDX image file
/// (gzip-compressed or not) gives all its images, a PNG (decoded by libpng:
/// color becomes gray, alpha and 16 bits are stripped) or a binary or plain
/// PGM one. Errors name the file and what is wrong.
bool readImages(const std::string &path, std::vector<Image> &out,
                std::string &error);

} // namespace alexc::rt

#endif
