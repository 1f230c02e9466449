//===- DataSource.h - Where --data points and how its splits load -*- C++
//-*-===//
//
// A dataset is a folder in one of four layouts, recognized by what it
// holds: IDX files (MNIST's format), CIFAR-10 or CIFAR-100 binary files,
// or torchvision's ImageFolder layout (PATH/train/<class>/*, PATH/test or
// PATH/val likewise). Every split loads into one uint8 Dataset.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_DATASOURCE_H
#define ALEXC_RUNTIME_DATA_DATASOURCE_H

#include "runtime/train/Data.h"

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

enum class DataFormat { Idx, Cifar10, Cifar100, ImageFolder };

struct DataLocation {
  std::string folder;
  DataFormat format = DataFormat::Idx;
};

const char *dataFormatName(DataFormat f);

/// Resolves `--data VALUE` ("fashion-mnist" is Debian's copy; "~/" is the
/// home folder) and recognizes the layout; the error lists what was looked
/// for.
bool locateData(const std::string &value, DataLocation &out,
                std::string &error);

/// How a split is loaded.
struct LoadOptions {
  int64_t channels = 1; // the model's input channels
  int64_t classes = 0;  // the model's output units
  bool skipBadImages = false;
  bool progress = true; // a progress line on stderr for image folders
  int threads = 0;      // decoding threads; 0: one per core
  /// --data-cache: where decoded image folders are kept ("": nowhere).
  std::string cacheDir;
};

/// Loads the training split (`train`) or the test split. Skipped images
/// (with skipBadImages) are listed in `skipped` as "file: problem".
bool loadDataSplit(const DataLocation &where, bool train,
                   const LoadOptions &options, Dataset &out,
                   std::vector<std::string> &skipped, std::string &error);

/// Converts every image of `data` (of one size) to `channels` channels
/// (PIL's rules).
void convertChannels(Dataset &data, int64_t channels);

} // namespace alexc::rt

#endif
