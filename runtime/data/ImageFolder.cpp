//===- ImageFolder.cpp - torchvision's ImageFolder layout -----------------===//
#include "runtime/data/ImageFolder.h"
#include "runtime/data/ImageDecode.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

namespace alexc::rt {

namespace fs = std::filesystem;

namespace {

/// The subfolders of `dir`, sorted by name (following links, as os.walk
/// with followlinks=True).
bool sortedEntries(const fs::path &dir, bool folders,
                   std::vector<std::string> &out, std::string &error) {
  std::error_code ec;
  fs::directory_iterator it(
      dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory() == folders && (folders || it->is_regular_file()))
      out.push_back(it->path().filename().string());
  if (ec) {
    error = dir.string() + ": cannot list: " + ec.message();
    return false;
  }
  std::sort(out.begin(), out.end());
  return true;
}

/// Every folder under `dir` (itself included), sorted by path as
/// sorted(os.walk(dir)) orders them.
bool walkFolders(const fs::path &dir, std::vector<std::string> &out,
                 std::string &error) {
  out.push_back(dir.string());
  std::vector<std::string> subs;
  if (!sortedEntries(dir, true, subs, error))
    return false;
  for (const std::string &s : subs)
    if (!walkFolders(dir / s, out, error))
      return false;
  return true;
}

bool listClass(const fs::path &dir, int32_t label, ImageFolderListing &out,
               std::string &error) {
  std::vector<std::string> folders;
  if (!walkFolders(dir, folders, error))
    return false;
  std::sort(folders.begin(), folders.end());
  size_t before = out.files.size();
  for (const std::string &folder : folders) {
    std::vector<std::string> files;
    if (!sortedEntries(folder, false, files, error))
      return false;
    for (const std::string &f : files) {
      bool unsupported = false;
      if (isImageFileName(f, unsupported)) {
        out.files.push_back(folder + "/" + f);
        out.labels.push_back(label);
      } else if (unsupported) {
        error = folder + "/" + f +
                ": alexc decodes JPEG, PNG and PGM/PPM files; convert this "
                "one (torchvision's ImageFolder would read it)";
        return false;
      }
    }
  }
  if (out.files.size() == before) {
    error = dir.string() + ": the class folder holds no image files (.jpg, "
                           ".jpeg, .png, .ppm, .pgm)";
    return false;
  }
  return true;
}

/// A progress line on stderr, redrawn at most every 0.2 s.
class DecodeProgress {
public:
  DecodeProgress(bool on, int64_t total, std::string what)
      : on(on), total(total), what(std::move(what)) {}
  void update(int64_t done) {
    auto now = std::chrono::steady_clock::now();
    if (!on || finished ||
        (done < total && now - last < std::chrono::milliseconds(200)))
      return;
    last = now;
    finished = done == total;
    std::fprintf(stderr, "\rdecoding %s: %lld/%lld images%s", what.c_str(),
                 (long long)done, (long long)total, finished ? "\n" : "");
  }

private:
  bool on, finished = false;
  std::string what;
  int64_t total;
  std::chrono::steady_clock::time_point last{};
};

} // namespace

bool listImageFolder(const std::string &root, ImageFolderListing &out,
                     std::string &error) {
  out.root = root;
  if (!sortedEntries(root, true, out.classes, error))
    return false;
  if (out.classes.empty()) {
    error = root + ": no class folders (ImageFolder layout: " + root +
            "/<class>/<image>)";
    return false;
  }
  for (size_t k = 0; k < out.classes.size(); ++k)
    if (!listClass(fs::path(root) / out.classes[k], int32_t(k), out, error))
      return false;
  return true;
}

namespace {

/// Each file decoded to planes, or its problem.
struct DecodedFile {
  std::vector<uint8_t> planes;
  int32_t rows = 0, cols = 0;
  std::string problem;
};

/// Decodes every file on `threads` threads, with a progress line.
std::vector<DecodedFile> decodeAll(const ImageFolderListing &listing,
                                   int64_t channels, int threads,
                                   bool progress) {
  const int64_t n = int64_t(listing.files.size());
  std::vector<DecodedFile> out(static_cast<size_t>(n));
  std::atomic<int64_t> next{0}, done{0};
  auto work = [&] {
    DecodedImage img;
    for (int64_t i; (i = next++) < n; ++done) {
      DecodedFile &f = out[size_t(i)];
      if (!decodeImageFile(listing.files[size_t(i)], img, f.problem))
        continue;
      f.rows = int32_t(img.height), f.cols = int32_t(img.width);
      f.planes.resize(size_t(channels * img.height * img.width));
      toPlanes(img, channels, f.planes.data());
    }
  };
  int t = threads > 0 ? threads : int(std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (int k = 0; k < std::max(t, 1); ++k)
    pool.emplace_back(work);
  DecodeProgress line(progress, n, listing.root);
  while (done < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    line.update(done);
  }
  for (std::thread &th : pool)
    th.join();
  line.update(n);
  return out;
}

} // namespace

bool decodeImageFolder(const ImageFolderListing &listing, int64_t channels,
                       int threads, bool skipBad, bool progress, Dataset &out,
                       std::vector<std::string> &skipped, std::string &error) {
  std::vector<DecodedFile> decoded =
      decodeAll(listing, channels, threads, progress);
  out = Dataset{};
  out.channels = channels;
  out.classNames = listing.classes;
  size_t bytes = 0;
  bool uniform = true;
  for (size_t i = 0; i < decoded.size(); ++i) {
    DecodedFile &f = decoded[i];
    if (!f.problem.empty()) {
      if (!skipBad) {
        error = f.problem;
        return false;
      }
      skipped.push_back(f.problem);
      continue;
    }
    if (out.count == 0)
      out.rows = f.rows, out.cols = f.cols;
    uniform &= f.rows == out.rows && f.cols == out.cols;
    out.sizes.push_back({f.rows, f.cols});
    out.offsets.push_back(int64_t(bytes));
    out.labels.push_back(listing.labels[i]);
    out.files.push_back(listing.files[i]);
    bytes += f.planes.size();
    ++out.count;
  }
  if (out.count == 0) {
    error = listing.root + ": none of its " +
            std::to_string(listing.files.size()) + " images could be decoded";
    return false;
  }
  out.images.resize(bytes);
  for (size_t i = 0, k = 0; i < decoded.size(); ++i) {
    if (!decoded[i].problem.empty())
      continue;
    std::copy(decoded[i].planes.begin(), decoded[i].planes.end(),
              out.images.begin() + out.offsets[k++]);
    // Freed as copied; the peak is still about twice the decoded set,
    // since every image is decoded before the array is allocated.
    std::vector<uint8_t>().swap(decoded[i].planes);
  }
  if (uniform) {
    out.sizes.clear();
    out.offsets.clear();
  } else {
    out.rows = out.cols = 0;
  }
  return true;
}

} // namespace alexc::rt
