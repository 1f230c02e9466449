//===- DecodeCache.cpp - Decoded image folders kept on disk ---------------===//
#include "runtime/data/DecodeCache.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace alexc::rt {

namespace {

constexpr char kMagic[8] = {'A', 'L', 'X', 'C', 'D', 'E', 'C', '1'};

/// 64-bit FNV-1a, fed piece by piece.
struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void add(const void *data, size_t n) {
    for (size_t i = 0; i < n; ++i)
      h = (h ^ static_cast<const uint8_t *>(data)[i]) * 1099511628211ull;
  }
  void add(const std::string &s) { add(s.c_str(), s.size() + 1); }
  void add(int64_t v) { add(&v, sizeof v); }
};

uint32_t checksum(const std::vector<uint8_t> &bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < bytes.size(); at += 1u << 30) {
    size_t n = std::min<size_t>(bytes.size() - at, 1u << 30);
    crc = crc32(crc, bytes.data() + at, uInt(n));
  }
  return uint32_t(crc);
}

template <typename T>
bool readArray(std::ifstream &in, std::vector<T> &out, size_t n) {
  out.resize(n);
  in.read(reinterpret_cast<char *>(out.data()), std::streamsize(n * sizeof(T)));
  return bool(in);
}

template <typename T>
void writeArray(std::ofstream &out, const std::vector<T> &v) {
  out.write(reinterpret_cast<const char *>(v.data()),
            std::streamsize(v.size() * sizeof(T)));
}

} // namespace

std::string decodeCachePath(const std::string &dir,
                            const ImageFolderListing &listing, int64_t channels,
                            std::string &error) {
  Fnv key;
  key.add(channels);
  for (size_t i = 0; i < listing.files.size(); ++i) {
    struct stat st;
    if (stat(listing.files[i].c_str(), &st) != 0) {
      error = listing.files[i] + ": cannot look at: " + std::strerror(errno);
      return "";
    }
    key.add(listing.files[i]);
    key.add(int64_t(listing.labels[i]));
    key.add(int64_t(st.st_size));
    key.add(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  }
  char name[64];
  std::snprintf(name, sizeof name, "/decoded-%016llx.bin",
                (unsigned long long)key.h);
  return dir + name;
}

bool readDecodeCache(const std::string &path, Dataset &out, std::string &why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "none yet";
    return false;
  }
  char magic[8];
  uint64_t headerBytes = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char *>(&headerBytes), 8);
  if (!in || std::memcmp(magic, kMagic, 8) != 0 || headerBytes > (1u << 30)) {
    why = path + ": not a decode cache of this version";
    return false;
  }
  std::string text(headerBytes, '\0');
  in.read(text.data(), std::streamsize(headerBytes));
  nlohmann::json h = nlohmann::json::parse(text, nullptr, false);
  if (!in || h.is_discarded()) {
    why = path + ": a corrupt decode cache (its header does not read)";
    return false;
  }
  try {
    out = Dataset{};
    out.count = h.at("count"), out.channels = h.at("channels");
    out.rows = h.at("rows"), out.cols = h.at("cols");
    out.classNames = h.at("classes").get<std::vector<std::string>>();
    out.files = h.at("files").get<std::vector<std::string>>();
    size_t n = size_t(out.count), bytes = h.at("bytes");
    bool ragged = h.at("ragged");
    // What the header announces must be in the file before anything is
    // allocated for it.
    std::error_code ec;
    uint64_t fileBytes = std::filesystem::file_size(path, ec);
    if (ec || out.count < 0 ||
        16 + headerBytes + n * (ragged ? 20 : 4) + bytes != fileBytes)
      throw std::runtime_error("its size is not what its header says");
    std::vector<int32_t> sizes;
    if (!readArray(in, out.labels, n) ||
        (ragged &&
         (!readArray(in, sizes, 2 * n) || !readArray(in, out.offsets, n))) ||
        !readArray(in, out.images, bytes) ||
        checksum(out.images) != h.at("crc32").get<uint32_t>())
      throw std::runtime_error("short or corrupt");
    for (size_t i = 0; ragged && i < n; ++i)
      out.sizes.push_back({sizes[2 * i], sizes[2 * i + 1]});
  } catch (const std::exception &e) {
    why = path + ": a corrupt decode cache (" + std::string(e.what()) + ")";
    out = Dataset{};
    return false;
  }
  return true;
}

bool writeDecodeCache(const std::string &path, const Dataset &d,
                      std::string &error) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(),
                                      ec);
  nlohmann::json h = {{"count", d.count},
                      {"channels", d.channels},
                      {"rows", d.rows},
                      {"cols", d.cols},
                      {"classes", d.classNames},
                      {"files", d.files},
                      {"bytes", d.images.size()},
                      {"ragged", !d.uniform()},
                      {"crc32", checksum(d.images)}};
  std::string text = h.dump();
  uint64_t headerBytes = text.size();
  std::string temp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary);
    out.write(kMagic, 8);
    out.write(reinterpret_cast<const char *>(&headerBytes), 8);
    out << text;
    writeArray(out, d.labels);
    if (!d.uniform()) {
      std::vector<int32_t> sizes;
      for (auto [r, c] : d.sizes)
        sizes.insert(sizes.end(), {r, c});
      writeArray(out, sizes);
      writeArray(out, d.offsets);
    }
    writeArray(out, d.images);
    if (!out.flush()) {
      error = temp + ": cannot write: " + std::strerror(errno);
      std::remove(temp.c_str());
      return false;
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot write: " + std::strerror(errno);
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

} // namespace alexc::rt
