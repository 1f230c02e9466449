//===- Safetensors.cpp - Read and write .safetensors files ----------------===//
#include "runtime/train/Safetensors.h"
#include "runtime/train/JsonDepth.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

using json = nlohmann::json;

namespace alexc::rt {

const char *dtypeName(DType d) {
  switch (d) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  }
  return "?";
}

size_t dtypeSize(DType d) { return d == DType::F64 || d == DType::I64 ? 8 : 4; }

static bool parseDType(const std::string &s, DType &d) {
  for (DType c : {DType::F32, DType::F64, DType::I32, DType::I64})
    if (s == dtypeName(c)) {
      d = c;
      return true;
    }
  return false;
}

int64_t StoredTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<float> StoredTensor::toFloat() const {
  std::vector<float> out(numElements());
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t *p = bytes.data() + i * dtypeSize(dtype);
    switch (dtype) {
    case DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      out[i] = v;
      break;
    }
    case DType::F64: {
      double v;
      std::memcpy(&v, p, 8);
      out[i] = float(v);
      break;
    }
    case DType::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      out[i] = float(v);
      break;
    }
    case DType::I64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      out[i] = float(v);
      break;
    }
    }
  }
  return out;
}

/// A tensor holding a copy of `data`, `shape`'s elements of `dtype`.
static StoredTensor copyOf(DType dtype, std::vector<int64_t> shape,
                           const void *data) {
  StoredTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.resize(t.numElements() * dtypeSize(dtype));
  std::memcpy(t.bytes.data(), data, t.bytes.size());
  return t;
}

StoredTensor StoredTensor::fromFloat(std::vector<int64_t> shape,
                                     const float *data) {
  return copyOf(DType::F32, std::move(shape), data);
}

StoredTensor StoredTensor::fromInt32(std::vector<int64_t> shape,
                                     const int32_t *data) {
  return copyOf(DType::I32, std::move(shape), data);
}

bool readSafetensors(const std::string &path, Safetensors &out,
                     std::string &error) {
  auto fail = [&](const std::string &msg) {
    error = path + ": " + msg;
    return false;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string data = buffer.str();
  if (data.size() < 8)
    return fail("not a safetensors file (shorter than its 8-byte header "
                "length)");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | uint8_t(data[i]);
  if (headerLen > data.size() - 8)
    return fail("not a safetensors file (header length " +
                std::to_string(headerLen) + " exceeds the file size " +
                std::to_string(data.size()) + ")");
  if (findJsonTooDeep(std::string_view(data).substr(8, headerLen)) !=
      std::string_view::npos)
    return fail("not a safetensors file (its header nests deeper than " +
                std::to_string(kMaxJsonDepth) + " levels)");
  json header = json::parse(data.begin() + 8, data.begin() + 8 + headerLen,
                            nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return fail("not a safetensors file (header is not a JSON object)");
  size_t base = 8 + headerLen, payload = data.size() - base;
  out = Safetensors();
  for (auto it = header.begin(); it != header.end(); ++it) {
    const json &v = it.value();
    if (it.key() == "__metadata__") {
      if (!v.is_object())
        return fail("__metadata__ must be an object");
      for (auto m = v.begin(); m != v.end(); ++m)
        if (m.value().is_string())
          out.metadata[m.key()] = m.value().get<std::string>();
      continue;
    }
    StoredTensor t;
    if (!v.is_object() || !v.contains("dtype") || !v["dtype"].is_string() ||
        !parseDType(v["dtype"].get<std::string>(), t.dtype))
      return fail("tensor '" + it.key() +
                  "' has a missing or unsupported "
                  "dtype (F32, F64, I32, I64 are supported)");
    if (!v.contains("shape") || !v["shape"].is_array())
      return fail("tensor '" + it.key() + "' has no shape");
    for (const json &d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        return fail("tensor '" + it.key() + "' has an invalid shape");
      t.shape.push_back(d.get<int64_t>());
    }
    const json &offsets = v.value("data_offsets", json());
    if (!offsets.is_array() || offsets.size() != 2 ||
        !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      return fail("tensor '" + it.key() + "' has no data_offsets");
    uint64_t begin = offsets[0].get<uint64_t>(),
             end = offsets[1].get<uint64_t>();
    if (begin > end || end > payload)
      return fail("tensor '" + it.key() + "' lies outside the file (offsets " +
                  std::to_string(begin) + ".." + std::to_string(end) +
                  ", data size " + std::to_string(payload) + "): truncated?");
    if (end - begin != uint64_t(t.numElements()) * dtypeSize(t.dtype))
      return fail("tensor '" + it.key() + "' has " +
                  std::to_string(end - begin) + " bytes, its shape needs " +
                  std::to_string(t.numElements() * dtypeSize(t.dtype)));
    t.bytes.assign(data.begin() + base + begin, data.begin() + base + end);
    out.tensors.emplace(it.key(), std::move(t));
  }
  return true;
}

bool writeSafetensors(const std::string &path, const Safetensors &in,
                      std::string &error) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto &[name, t] : in.tensors) {
    header[name] = {{"dtype", dtypeName(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (!in.metadata.empty())
    header["__metadata__"] = in.metadata;
  std::string text = header.dump();
  while ((text.size() + 8) % 8)
    text += ' '; // keep the data 8-byte aligned
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    error = tmp + ": cannot create: " + std::strerror(errno);
    return false;
  }
  auto writeAll = [&](const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
      ssize_t w = ::write(fd, c, n);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return false;
      }
      c += w;
      n -= size_t(w);
    }
    return true;
  };
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  bool ok = writeAll(len, 8) && writeAll(text.data(), text.size());
  for (const auto &[name, t] : in.tensors)
    ok = ok && writeAll(t.bytes.data(), t.bytes.size());
  ok = ok && ::fsync(fd) == 0;
  int savedErrno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot write: " + std::strerror(ok ? errno : savedErrno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

} // namespace alexc::rt
