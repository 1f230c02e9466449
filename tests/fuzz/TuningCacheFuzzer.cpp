//===- TuningCacheFuzzer.cpp - The GPU's measured choices -----------------===//
#include "MemoryFile.h"
#include "runtime/gpu/TuningCache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  alexc::fuzz::MemoryFile file(data, size);
  alexc::rt::TuningCache cache(file.path());
  (void)cache.find("conv1 fwd");
  return 0;
}
