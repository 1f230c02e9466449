//===- DataSource.cpp - Where --data points and how its splits load -------===//
#include "runtime/data/DataSource.h"
#include "runtime/data/Cifar.h"
#include "runtime/data/DecodeCache.h"
#include "runtime/data/ImageDecode.h"
#include "runtime/data/ImageFolder.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace alexc::rt {

namespace fs = std::filesystem;

const char *dataFormatName(DataFormat f) {
  switch (f) {
  case DataFormat::Idx:
    return "IDX files";
  case DataFormat::Cifar10:
    return "CIFAR-10 binary files";
  case DataFormat::Cifar100:
    return "CIFAR-100 binary files";
  case DataFormat::ImageFolder:
    return "an image folder";
  }
  return "";
}

namespace {

bool pathExists(const fs::path &p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

/// The layout of `folder`, or false when none is recognized.
bool recognize(const fs::path &folder, DataLocation &out) {
  if (pathExists(folder / "train-images-idx3-ubyte.gz") ||
      pathExists(folder / "t10k-images-idx3-ubyte.gz"))
    out.format = DataFormat::Idx;
  else if (pathExists(folder / "data_batch_1.bin") ||
           pathExists(folder / "test_batch.bin"))
    out.format = DataFormat::Cifar10;
  else if (pathExists(folder / "train.bin") || pathExists(folder / "test.bin"))
    out.format = DataFormat::Cifar100;
  else if (fs::is_directory(folder / "train") ||
           fs::is_directory(folder / "test") ||
           fs::is_directory(folder / "val"))
    out.format = DataFormat::ImageFolder;
  else
    return false;
  out.folder = folder.string();
  return true;
}

/// The test split of an image folder: test/, else val/.
std::string testFolder(const std::string &root) {
  return fs::is_directory(fs::path(root) / "test") ? root + "/test"
                                                   : root + "/val";
}

bool loadImageFolderSplit(const DataLocation &where, bool train,
                          const LoadOptions &o, Dataset &out,
                          std::vector<std::string> &skipped,
                          std::string &error) {
  std::string root = train ? where.folder + "/train" : testFolder(where.folder);
  if (!fs::is_directory(root)) {
    error = root + ": no such folder (an image folder dataset has train/ and "
                   "test/ or val/)";
    return false;
  }
  ImageFolderListing listing;
  if (!listImageFolder(root, listing, error))
    return false;
  std::string cache, why;
  if (!o.cacheDir.empty()) {
    cache = decodeCachePath(o.cacheDir, listing, o.channels, error);
    if (cache.empty())
      return false;
    if (readDecodeCache(cache, out, why)) {
      if (o.progress)
        std::fprintf(stderr, "note: %s: decoded images read from %s\n",
                     root.c_str(), cache.c_str());
      return true;
    }
    if (o.progress && why != "none yet")
      std::fprintf(stderr, "note: %s; decoding again\n", why.c_str());
  }
  if (!decodeImageFolder(listing, o.channels, o.threads, o.skipBadImages,
                         o.progress, out, skipped, error))
    return false;
  // A set with skipped images is not kept: the next run lists them again.
  if (!cache.empty() && skipped.empty() && !writeDecodeCache(cache, out, why))
    std::fprintf(stderr, "warning: --data-cache: %s\n", why.c_str());
  return true;
}

bool loadCifarSplit(const DataLocation &where, bool train, Dataset &out,
                    std::string &error) {
  bool cifar100 = where.format == DataFormat::Cifar100;
  for (const std::string &name : cifarFiles(cifar100, train))
    if (!readCifarFile(where.folder + "/" + name, cifar100, out, error))
      return false;
  return true;
}

/// Every label below the model's output count.
bool checkLabels(const Dataset &d, const std::string &what, int64_t classes,
                 std::string &error) {
  for (int64_t i = 0; i < d.count; ++i)
    if (d.labels[size_t(i)] >= classes) {
      error = what + ": label " + std::to_string(d.labels[size_t(i)]) +
              (size_t(d.labels[size_t(i)]) < d.classNames.size()
                   ? " ('" + d.classNames[size_t(d.labels[size_t(i)])] + "')"
                   : "") +
              " of example " + std::to_string(i) + " is out of range for a " +
              std::to_string(classes) + "-class model";
      if (!d.classNames.empty())
        error += " (the data has " + std::to_string(d.classNames.size()) +
                 " classes)";
      return false;
    }
  return true;
}

} // namespace

bool locateData(const std::string &value, DataLocation &out,
                std::string &error) {
  std::string path = value;
  if (value == "fashion-mnist")
    path = "/usr/share/datasets/fashion-mnist";
  else if (value.rfind("~/", 0) == 0 && std::getenv("HOME"))
    path = std::string(std::getenv("HOME")) + value.substr(1);
  if (recognize(path, out))
    return true;
  for (const char *sub : {"cifar-10-batches-bin", "cifar-100-binary"})
    if (recognize(fs::path(path) / sub, out))
      return true;
  error = path +
          (pathExists(path) ? ": not a dataset folder" : ": no such folder") +
          "; --data takes fashion-mnist or a folder of IDX files "
          "(train-images-idx3-ubyte.gz, ...), CIFAR-10 or CIFAR-100 binary "
          "files (data_batch_1.bin ..., train.bin ...) or images in "
          "ImageFolder layout (train/<class>/*.jpg, test/<class>/...)";
  return false;
}

bool loadDataSplit(const DataLocation &where, bool train, const LoadOptions &o,
                   Dataset &out, std::vector<std::string> &skipped,
                   std::string &error) {
  out = Dataset{};
  bool ok = false;
  std::string what = where.folder;
  switch (where.format) {
  case DataFormat::Idx:
    // IDX labels are checked against the model as they are read.
    return loadSplit(where.folder, train ? "train" : "t10k", o.classes, out,
                     error) &&
           (convertChannels(out, o.channels), true);
  case DataFormat::Cifar10:
  case DataFormat::Cifar100:
    ok = loadCifarSplit(where, train, out, error);
    if (ok)
      convertChannels(out, o.channels);
    break;
  case DataFormat::ImageFolder:
    ok = loadImageFolderSplit(where, train, o, out, skipped, error);
    what = where.folder + (train ? "/train" : "/test");
    break;
  }
  return ok && checkLabels(out, what, o.classes, error);
}

void convertChannels(Dataset &data, int64_t channels) {
  if (data.channels == channels)
    return;
  int64_t plane = data.rows * data.cols;
  std::vector<uint8_t> out(size_t(data.count * channels * plane));
  for (int64_t i = 0; i < data.count; ++i) {
    const uint8_t *in = data.images.data() + i * data.channels * plane;
    uint8_t *o = out.data() + i * channels * plane;
    for (int64_t p = 0; p < plane; ++p) {
      if (channels == 3) { // gray to RGB: the plane three times
        o[p] = o[plane + p] = o[2 * plane + p] = in[p];
      } else {
        o[p] = pilLuma(in[p], in[plane + p], in[2 * plane + p]);
      }
    }
  }
  data.images = std::move(out);
  data.channels = channels;
}

} // namespace alexc::rt
