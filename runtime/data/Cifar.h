//===- Cifar.h - CIFAR-10 and CIFAR-100 binary files -------------*- C++
//-*-===//
//
// The binary releases' record layouts: CIFAR-10 records are a label byte
// and 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32x32);
// CIFAR-100 records have a coarse and a fine label byte before the pixels
// (alexc trains on the fine labels).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_CIFAR_H
#define ALEXC_RUNTIME_DATA_CIFAR_H

#include "runtime/train/Data.h"

#include <string>
#include <vector>

namespace alexc::rt {

/// The files of a split, in order: CIFAR-10's data_batch_1..5.bin or
/// test_batch.bin, CIFAR-100's train.bin or test.bin.
std::vector<std::string> cifarFiles(bool cifar100, bool train);

/// Appends the records of `path` to `out` (3x32x32, labels; class names
/// from batches.meta.txt or fine_label_names.txt beside it when present).
/// A file whose size is not a whole number of records is an error.
bool readCifarFile(const std::string &path, bool cifar100, Dataset &out,
                   std::string &error);

} // namespace alexc::rt

#endif
