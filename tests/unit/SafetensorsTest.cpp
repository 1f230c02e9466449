// The safetensors reader and writer: round trip, and every kind of corrupt
// file refused with a message naming the file and the problem.
#include "runtime/train/Safetensors.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace alexc::rt;

namespace {

std::string tempPath(const char *name) {
  return std::string(::testing::TempDir()) + name + std::to_string(::getpid());
}

Safetensors sample() {
  Safetensors s;
  float w[6] = {1.5f, -2, 3, 0.25f, 0, 7};
  int32_t l[3] = {4, -1, 9};
  s.tensors["conv1.weight"] = StoredTensor::fromFloat({2, 3}, w);
  s.tensors["labels"] = StoredTensor::fromInt32({3}, l);
  s.metadata["step"] = "12";
  return s;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Safetensors, RoundTrip) {
  std::string path = tempPath("roundtrip.safetensors");
  std::string error;
  ASSERT_TRUE(writeSafetensors(path, sample(), error)) << error;
  Safetensors back;
  ASSERT_TRUE(readSafetensors(path, back, error)) << error;
  EXPECT_EQ(back.metadata.at("step"), "12");
  const StoredTensor &w = back.tensors.at("conv1.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.toFloat(), (std::vector<float>{1.5f, -2, 3, 0.25f, 0, 7}));
  EXPECT_EQ(back.tensors.at("labels").toFloat(),
            (std::vector<float>{4, -1, 9}));
  // The header is padded so the data starts 8-byte aligned.
  std::string bytes = readBytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | uint8_t(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u);
  std::remove(path.c_str());
}

TEST(Safetensors, MissingFile) {
  Safetensors s;
  std::string error;
  EXPECT_FALSE(readSafetensors("/nonexistent/x.safetensors", s, error));
  EXPECT_EQ(error.rfind("/nonexistent/x.safetensors: cannot open", 0), 0u)
      << error;
}

/// A file whose header is a valid JSON object with one value nested
/// `depth` arrays deep.
std::string deepHeader(size_t depth) {
  std::string json =
      "{\"a\": " + std::string(depth, '[') + std::string(depth, ']') + "}";
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i)
    length[i] = char((json.size() >> (8 * i)) & 0xFF);
  return length + json;
}

TEST(Safetensors, CorruptFilesAreRefused) {
  std::string path = tempPath("corrupt.safetensors");
  std::string error;
  ASSERT_TRUE(writeSafetensors(path, sample(), error));
  std::string good = readBytes(path);
  struct Case {
    std::string bytes, message;
  } cases[] = {
      {"abc", "shorter than its 8-byte header length"},
      {std::string("\xff\xff\0\0\0\0\0\0", 8) + "{}", "exceeds the file size"},
      {std::string("\x02\0\0\0\0\0\0\0", 8) + "[]",
       "header is not a JSON object"},
      {good.substr(0, good.size() - 4), "lies outside the file"},
      {deepHeader(100000), "nests deeper than 64 levels"},
  };
  for (const Case &c : cases) {
    writeBytes(path, c.bytes);
    Safetensors s;
    EXPECT_FALSE(readSafetensors(path, s, error));
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_EQ(error.rfind(path, 0), 0u) << error;
  }
  std::remove(path.c_str());
}

} // namespace
