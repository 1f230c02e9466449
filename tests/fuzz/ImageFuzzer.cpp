//===- ImageFuzzer.cpp - JPEG, PNG and PGM/PPM files ----------------------===//
//
// Input: one mode byte (bit 0: convert to 1 channel, else 3), then the
// file. An image that decodes is converted and run through a random
// resized crop, a flip and a jitter, which read every pixel.
//
//===----------------------------------------------------------------------===//
#include "runtime/data/ImageDecode.h"
#include "runtime/data/ImageTransforms.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  using namespace alexc::rt;
  int64_t channels = data[0] & 1 ? 1 : 3;
  std::vector<uint8_t> bytes(data + 1, data + size);
  DecodedImage img;
  std::string error;
  if (!decodeImage("input", bytes, img, error)) {
    if (error.empty())
      std::abort();
    return 0;
  }
  if (img.height * img.width > 1 << 20)
    return 0; // decoded, but too large to transform within the time limit
  std::vector<uint8_t> planes(size_t(channels * img.height * img.width));
  toPlanes(img, channels, planes.data());
  std::vector<Transform> list(3);
  list[0].kind = TransformKind::RandomResizedCrop;
  list[0].height = 5, list[0].width = 4;
  list[1].kind = TransformKind::RandomHorizontalFlip;
  list[2].kind = TransformKind::ColorJitter;
  list[2].brightness = list[2].contrast = 0.5;
  list[2].saturation = channels == 3 ? 0.5 : 0;
  FloatImage image, scratch;
  toFloatImage(planes.data(), channels, img.height, img.width, image);
  runTransforms(list, DrawKey{1, 2, 3, TransformList::Train}, image, scratch);
  if (image.height != 5 || image.width != 4)
    std::abort();
  return 0;
}
