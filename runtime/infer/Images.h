//===- Images.h - Images to classify, from IDX and picture files -*- C++
//-*-===//
#ifndef ALEXC_RUNTIME_INFER_IMAGES_H
#define ALEXC_RUNTIME_INFER_IMAGES_H

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

/// One 8-bit image and where it came from.
struct Image {
  std::string file;
  int64_t index = -1; // within an IDX file; -1 for a picture file
  int64_t rows = 0, cols = 0, channels = 1;
  std::vector<uint8_t> pixels; // [channels, rows, cols]
};

/// Appends the images of `path` with `channels` channels, recognized by
/// content: an IDX image file (gzip-compressed or not) gives all its
/// images; a JPEG, PNG, PPM or binary 8-bit PGM is decoded as training
/// decodes image folders (runtime/data/ImageDecode.h: PIL's channel
/// conversions); plain and 16-bit PGMs are read here. Errors name the file
/// and what is wrong.
bool readImages(const std::string &path, int64_t channels,
                std::vector<Image> &out, std::string &error);

} // namespace alexc::rt

#endif
