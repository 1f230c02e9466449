//===- SafetensorsFuzzer.cpp - Checkpoints and --init files ---------------===//
//
// An accepted file's tensors are converted to float, which touches every
// byte the header claims.
//
//===----------------------------------------------------------------------===//
#include "MemoryFile.h"
#include "runtime/train/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  alexc::fuzz::MemoryFile file(data, size);
  alexc::rt::Safetensors st;
  std::string error;
  if (!alexc::rt::readSafetensors(file.path(), st, error)) {
    if (error.empty())
      std::abort();
    return 0;
  }
  for (const auto &[name, tensor] : st.tensors)
    if (tensor.toFloat().size() != size_t(tensor.numElements()))
      std::abort();
  return 0;
}
