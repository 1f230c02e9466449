//===- DecodeCache.h - Decoded image folders kept on disk -------*- C++ -*-===//
//
// `--data-cache DIR`: a split of an image folder, once decoded, is written
// to DIR as one file named by a hash of what it was decoded from (every
// file's path, size and modification time, and the channel count), so a
// later run over unchanged files reads it in place of decoding. Writes are
// atomic (a temporary file, then a rename); a cache file that does not
// read back whole is ignored with a note and rewritten.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_DECODECACHE_H
#define ALEXC_RUNTIME_DATA_DECODECACHE_H

#include "runtime/data/ImageFolder.h"

#include <string>

namespace alexc::rt {

/// The cache file for `listing` decoded to `channels` channels, in `dir`;
/// "" (with `error`) when a listed file cannot be looked at.
std::string decodeCachePath(const std::string &dir,
                            const ImageFolderListing &listing, int64_t channels,
                            std::string &error);

/// Reads a cache file into `out`; false (with `why`) when it is missing,
/// short, corrupt or of another layout version.
bool readDecodeCache(const std::string &path, Dataset &out, std::string &why);

/// Writes `data` to `path` atomically; false with `error`.
bool writeDecodeCache(const std::string &path, const Dataset &data,
                      std::string &error);

} // namespace alexc::rt

#endif
