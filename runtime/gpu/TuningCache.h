//===- TuningCache.h - Measured choices kept between runs -------*- C++ -*-===//
//
// What the GPU back end measures at start-up (which variant of a kernel is
// fastest, which cuDNN algorithm a convolution uses) is kept in a small text
// file, so that later runs on the same GPU start at once and make the same
// choices (and so compute the same numbers). One entry a line,
// "key<TAB>value"; the keys name everything the choice depends on (GPU,
// library versions, precision, shapes). Every choice in it is a correct
// one, so a stale or lost file costs only start-up time: problems with it
// are warnings, never errors.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_TUNINGCACHE_H
#define ALEXC_RUNTIME_TUNINGCACHE_H

#include <map>
#include <string>
#include <vector>

namespace alexc::rt {

class TuningCache {
public:
  /// Reads `path`; an empty path keeps nothing (every choice is measured).
  /// A missing file is an empty cache.
  explicit TuningCache(std::string path);

  bool enabled() const { return !path.empty(); }
  const std::string &file() const { return path; }

  /// The value stored under `key`, or null.
  const std::string *find(const std::string &key) const;
  /// Stores a value (tabs and newlines in key or value become spaces).
  void put(const std::string &key, const std::string &value);

  /// Writes the entries put since loading, merged into the file as it is
  /// now (another run may have added to it), through a temporary file and
  /// a rename. Creates the folder. Problems become warnings.
  void save();

  /// What went wrong reading or writing the file, one line each.
  const std::vector<std::string> &warnings() const { return problems; }

  /// $XDG_CACHE_HOME/alexc/tuning.txt, else ~/.cache/alexc/tuning.txt; ""
  /// when neither variable is set.
  static std::string defaultPath();

private:
  std::map<std::string, std::string> read(bool warn);

  std::string path;
  std::map<std::string, std::string> entries, added;
  std::vector<std::string> problems;
};

} // namespace alexc::rt

#endif
