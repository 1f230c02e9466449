//===- IdxFuzzer.cpp - Fashion-MNIST's IDX files, gzipped -----------------===//
//
// Input: one mode byte (bit 0: gzip the images, bit 1: gzip the labels;
// otherwise the bytes are the .gz file as it is, to reach zlib's errors),
// two bytes of images length, then the images and the labels files. An
// accepted split is resized into a batch, which reads every image byte.
//
//===----------------------------------------------------------------------===//
#include "runtime/train/Data.h"

#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace {

const std::string &folder() {
  static const std::string dir = [] {
    char name[] = "/tmp/alexc-fuzz-idx-XXXXXX";
    if (!mkdtemp(name))
      std::abort();
    return std::string(name);
  }();
  return dir;
}

void writeFile(const std::string &path, const uint8_t *data, size_t size,
               bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f || (size && gzwrite(f, data, unsigned(size)) != int(size)))
      std::abort();
    gzclose(f);
    return;
  }
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size))
    std::abort();
  std::fclose(f);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  int mode = data[0];
  size_t split = std::min(size - 3, size_t(data[1] | data[2] << 8));
  const uint8_t *images = data + 3, *labels = images + split;
  writeFile(folder() + "/train-images-idx3-ubyte.gz", images, split, mode & 1);
  writeFile(folder() + "/train-labels-idx1-ubyte.gz", labels, size - 3 - split,
            mode & 2);
  alexc::rt::Dataset ds;
  std::string error;
  if (!alexc::rt::loadSplit(folder(), "train", 10, ds, error)) {
    if (error.empty())
      std::abort();
    return 0;
  }
  int64_t count = std::min<int64_t>(ds.count, 3);
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i)
    indices[i] = ds.count - 1 - i;
  alexc::rt::ResizePlan plan = alexc::rt::planResize(ds.rows, ds.cols, 5, 7);
  std::vector<float> batch(4 * 5 * 7);
  std::vector<int32_t> batchLabels(4);
  alexc::rt::fillBatch(ds, plan, indices.data(), count, 4, batch.data(),
                       batchLabels.data());
  return 0;
}
