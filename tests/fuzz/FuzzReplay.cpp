//===- FuzzReplay.cpp - Run a fuzz target over its corpus -----------------===//
//
// The main() the fuzz targets get in a normal build (gcc, no libFuzzer):
// every file named, or found in a folder named, is passed once to
// LLVMFuzzerTestOneInput. ctest replays each target's corpus this way, so
// every input a fuzzer ever found stays a regression test.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s FILE|DIR...\n  runs the fuzz target once "
                 "on each file (as libFuzzer does with -runs=0)\n",
                 argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (std::filesystem::is_directory(argv[i], ec)) {
      for (const auto &e : std::filesystem::directory_iterator(argv[i]))
        if (e.is_regular_file())
          files.push_back(e.path());
    } else if (std::filesystem::is_regular_file(argv[i], ec)) {
      files.push_back(argv[i]);
    } else {
      std::fprintf(stderr, "%s: no such file or folder\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto &path : files) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("replayed %zu inputs\n", files.size());
  return files.empty() ? 1 : 0;
}
