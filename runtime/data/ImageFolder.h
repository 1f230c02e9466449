//===- ImageFolder.h - torchvision's ImageFolder layout ----------*- C++
//-*-===//
#ifndef ALEXC_RUNTIME_DATA_IMAGEFOLDER_H
#define ALEXC_RUNTIME_DATA_IMAGEFOLDER_H

#include "runtime/train/Data.h"

#include <string>
#include <vector>

namespace alexc::rt {

/// The files of one split: `root/<class>/**` in torchvision's order
/// (classes sorted by name; within a class, folders walked in sorted order
/// and files sorted by name), suffixes matched in any case.
struct ImageFolderListing {
  std::string root;
  std::vector<std::string> classes, files;
  std::vector<int32_t> labels;
};

/// Lists `root`; an empty class folder, a file with a suffix torchvision
/// takes but alexc cannot decode (.bmp, .tif, .webp) and a split without
/// images are errors.
bool listImageFolder(const std::string &root, ImageFolderListing &out,
                     std::string &error);

/// Decodes every listed file on `threads` threads into `out`, converting
/// to `channels`; images of mixed sizes are kept each at its own. With
/// `skipBad`, undecodable files are left out and listed in `skipped`.
bool decodeImageFolder(const ImageFolderListing &listing, int64_t channels,
                       int threads, bool skipBad, bool progress, Dataset &out,
                       std::vector<std::string> &skipped, std::string &error);

} // namespace alexc::rt

#endif
