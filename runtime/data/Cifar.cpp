//===- Cifar.cpp - CIFAR-10 and CIFAR-100 binary files --------------------===//
#include "runtime/data/Cifar.h"
#include "runtime/data/ImageDecode.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace alexc::rt {

std::vector<std::string> cifarFiles(bool cifar100, bool train) {
  if (cifar100)
    return {train ? "train.bin" : "test.bin"};
  if (!train)
    return {"test_batch.bin"};
  std::vector<std::string> files;
  for (int i = 1; i <= 5; ++i)
    files.push_back("data_batch_" + std::to_string(i) + ".bin");
  return files;
}

namespace {

/// The class names of the folder of `path`, one per line, if listed.
std::vector<std::string> classNamesBeside(const std::string &path,
                                          bool cifar100) {
  std::string folder = path.substr(0, path.find_last_of('/') + 1);
  std::ifstream in(folder +
                   (cifar100 ? "fine_label_names.txt" : "batches.meta.txt"));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line != "\r")
      names.push_back(line.back() == '\r' ? line.substr(0, line.size() - 1)
                                          : line);
  return names;
}

} // namespace

bool readCifarFile(const std::string &path, bool cifar100, Dataset &out,
                   std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFileBytes(path, bytes, error))
    return false;
  const size_t pixels = 3 * 32 * 32, labelBytes = cifar100 ? 2 : 1;
  const size_t record = labelBytes + pixels;
  if (bytes.empty() || bytes.size() % record != 0) {
    error = path + ": " + std::to_string(bytes.size()) +
            " bytes is not a whole number of " +
            (cifar100 ? "CIFAR-100" : "CIFAR-10") + " records (" +
            std::to_string(record) + " bytes each" +
            (bytes.size() % (cifar100 ? pixels + 1 : pixels + 2) == 0 &&
                     !bytes.empty()
                 ? std::string("; the size fits ") +
                       (cifar100 ? "CIFAR-10" : "CIFAR-100") + " records"
                 : std::string()) +
            ")";
    return false;
  }
  out.channels = 3, out.rows = 32, out.cols = 32;
  size_t n = bytes.size() / record;
  out.images.reserve(out.images.size() + n * pixels);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *r = bytes.data() + i * record;
    out.labels.push_back(r[labelBytes - 1]);
    out.images.insert(out.images.end(), r + labelBytes, r + record);
  }
  out.count += int64_t(n);
  if (out.classNames.empty())
    out.classNames = classNamesBeside(path, cifar100);
  return true;
}

} // namespace alexc::rt
