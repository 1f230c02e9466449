//===- MemoryFile.h - Fuzz input as a file path, without the disk -*- C++
//-*-===//
//
// The readers under test take paths (they are file formats); a memfd gives
// each input a path, /proc/self/fd/N, that ifstream and gzopen read.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_TESTS_FUZZ_MEMORYFILE_H
#define ALEXC_TESTS_FUZZ_MEMORYFILE_H

#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace alexc::fuzz {

class MemoryFile {
public:
  MemoryFile(const uint8_t *data, size_t size) {
    fd = memfd_create("alexc-fuzz", 0);
    if (fd < 0)
      std::abort();
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd, data + done, size - done);
      if (n <= 0)
        std::abort();
      done += size_t(n);
    }
  }
  ~MemoryFile() { close(fd); }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }

private:
  int fd;
};

} // namespace alexc::fuzz

#endif
