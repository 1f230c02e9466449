//===- CifarFuzzer.cpp - CIFAR-10 and CIFAR-100 binary files --------------===//
//
// Input: one mode byte (bit 0: CIFAR-100 records, else CIFAR-10), then the
// file. An accepted file must hold whole records with labels in range.
//
//===----------------------------------------------------------------------===//
#include "MemoryFile.h"
#include "runtime/data/Cifar.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  bool cifar100 = data[0] & 1;
  alexc::fuzz::MemoryFile file(data + 1, size - 1);
  alexc::rt::Dataset ds;
  std::string error;
  if (!alexc::rt::readCifarFile(file.path(), cifar100, ds, error)) {
    if (error.empty())
      std::abort();
    return 0;
  }
  if (ds.count < 1 || ds.images.size() != size_t(ds.count) * 3072 ||
      ds.labels.size() != size_t(ds.count))
    std::abort();
  for (int32_t label : ds.labels)
    if (label < 0 || label > 255)
      std::abort();
  return 0;
}
