//===- Safetensors.h - Read and write .safetensors files --------*- C++ -*-===//
//
// The format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header mapping each tensor name to
// {dtype, shape, data_offsets} (plus an optional "__metadata__" object of
// strings), then the raw little-endian data. Writes are atomic: a temporary
// file in the same folder, fsync, rename.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_SAFETENSORS_H
#define ALEXC_RUNTIME_SAFETENSORS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace alexc::rt {

enum class DType { F32, F64, I32, I64 };

const char *dtypeName(DType d);
size_t dtypeSize(DType d);

struct StoredTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  /// The elements as float (converting from any dtype).
  std::vector<float> toFloat() const;
  static StoredTensor fromFloat(std::vector<int64_t> shape, const float *data);
  static StoredTensor fromInt32(std::vector<int64_t> shape,
                                const int32_t *data);
};

struct Safetensors {
  std::map<std::string, StoredTensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Reads `path`. On failure returns false and sets `error` to a message that
/// names the file and what is wrong with it.
bool readSafetensors(const std::string &path, Safetensors &out,
                     std::string &error);

/// Writes `path` atomically.
bool writeSafetensors(const std::string &path, const Safetensors &in,
                      std::string &error);

} // namespace alexc::rt

#endif
