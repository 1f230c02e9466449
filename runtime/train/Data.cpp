//===- Data.cpp - Fashion-MNIST from IDX files, resized per batch ---------===//
#include "runtime/train/Data.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <zlib.h>

namespace alexc::rt {

std::string resolveDataFolder(const std::string &value) {
  if (value == "fashion-mnist")
    return "/usr/share/datasets/fashion-mnist";
  return value;
}

namespace {

/// Reads a whole .gz file; fails on a missing file or a corrupt/truncated
/// stream.
bool readGzip(const std::string &path, std::vector<uint8_t> &out,
              std::string &error) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " +
            (errno ? std::strerror(errno) : "unknown error");
    return false;
  }
  out.clear();
  uint8_t buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int code;
      const char *msg = gzerror(f, &code);
      error = path + ": corrupt gzip data (" + msg + ")";
      gzclose(f);
      return false;
    }
    if (n == 0)
      break;
    out.insert(out.end(), buf, buf + n);
  }
  // gzread stops quietly at a truncated stream; gzclose_r reports it.
  int code;
  const char *msg = gzerror(f, &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    error = path + ": corrupt gzip data (" + msg + ")";
    gzclose(f);
    return false;
  }
  if (gzclose(f) == Z_BUF_ERROR) {
    error = path + ": truncated gzip file (the stream ends early)";
    return false;
  }
  return true;
}

uint32_t bigEndian(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

} // namespace

bool readIdxImages(const std::string &imagesPath, Dataset &out,
                   std::string &error) {
  std::vector<uint8_t> raw;
  if (!readGzip(imagesPath, raw, error))
    return false;
  if (raw.size() < 16 || bigEndian(raw.data()) != 0x803) {
    error = imagesPath + ": not an IDX image file (magic " +
            (raw.size() >= 4 ? hex(bigEndian(raw.data())) : "missing") +
            ", expected 0x00000803)";
    return false;
  }
  out.count = bigEndian(raw.data() + 4);
  out.rows = bigEndian(raw.data() + 8);
  out.cols = bigEndian(raw.data() + 12);
  // Bounds that no image dataset comes near keep the size below in 64 bits.
  constexpr int64_t kMaxSide = 1 << 16;
  if (out.count == 0 || out.rows == 0 || out.cols == 0 || out.rows > kMaxSide ||
      out.cols > kMaxSide) {
    error = imagesPath + ": the header announces " + std::to_string(out.count) +
            " images of " + std::to_string(out.rows) + "x" +
            std::to_string(out.cols) +
            "; expected at least one image, each side 1.." +
            std::to_string(kMaxSide);
    return false;
  }
  uint64_t need = uint64_t(out.count) * out.rows * out.cols;
  if (raw.size() - 16 < need) {
    error = imagesPath + ": truncated: the header announces " +
            std::to_string(out.count) + " images of " +
            std::to_string(out.rows) + "x" + std::to_string(out.cols) + " (" +
            std::to_string(need) + " bytes), the file holds " +
            std::to_string(raw.size() - 16);
    return false;
  }
  out.images.assign(raw.begin() + 16, raw.begin() + 16 + need);
  return true;
}

bool loadSplit(const std::string &folder, const std::string &prefix,
               int64_t classes, Dataset &out, std::string &error) {
  std::string imagesPath = folder + "/" + prefix + "-images-idx3-ubyte.gz";
  std::string labelsPath = folder + "/" + prefix + "-labels-idx1-ubyte.gz";
  if (!readIdxImages(imagesPath, out, error))
    return false;
  std::vector<uint8_t> raw;
  if (!readGzip(labelsPath, raw, error))
    return false;
  if (raw.size() < 8 || bigEndian(raw.data()) != 0x801) {
    error = labelsPath + ": not an IDX label file (magic " +
            (raw.size() >= 4 ? hex(bigEndian(raw.data())) : "missing") +
            ", expected 0x00000801)";
    return false;
  }
  int64_t n = bigEndian(raw.data() + 4);
  if (n != out.count) {
    error = labelsPath + ": has " + std::to_string(n) + " labels for " +
            std::to_string(out.count) + " images";
    return false;
  }
  if (raw.size() - 8 < uint64_t(n)) {
    error = labelsPath + ": truncated: " + std::to_string(n) +
            " labels announced, " + std::to_string(raw.size() - 8) + " present";
    return false;
  }
  out.labels.assign(raw.begin() + 8, raw.begin() + 8 + n);
  out.channels = 1;
  for (int64_t i = 0; i < n; ++i)
    if (out.labels[i] >= classes) {
      error = labelsPath + ": label " + std::to_string(out.labels[i]) +
              " of example " + std::to_string(i) + " is out of range 0.." +
              std::to_string(classes - 1) + " for a " +
              std::to_string(classes) + "-class model";
      return false;
    }
  return true;
}

ResizePlan planResize(int64_t inRows, int64_t inCols, int64_t outRows,
                      int64_t outCols) {
  ResizePlan p{inRows, inCols, outRows, outCols, {}, {}, {}, {}, {}, {}};
  auto axis = [](int64_t in, int64_t out, std::vector<int32_t> &i0,
                 std::vector<int32_t> &di, std::vector<float> &w) {
    // PyTorch's area_pixel_compute_source_index (align_corners=False):
    // src = (dst + 0.5) * in / out - 0.5, clamped at 0.
    float scale = float(in) / float(out);
    for (int64_t d = 0; d < out; ++d) {
      float src = scale * (float(d) + 0.5f) - 0.5f;
      if (src < 0)
        src = 0;
      int32_t lo = int32_t(src);
      i0.push_back(lo);
      di.push_back(lo < in - 1 ? 1 : 0);
      w.push_back(src - float(lo));
    }
  };
  axis(inRows, outRows, p.y0, p.dy, p.wy);
  axis(inCols, outCols, p.x0, p.dx, p.wx);
  return p;
}

void scaleImage(const uint8_t *in, const ResizePlan &plan, float *out) {
  if (plan.inRows == plan.outRows && plan.inCols == plan.outCols) {
    for (int64_t i = 0; i < plan.outRows * plan.outCols; ++i)
      out[i] = float(in[i]) / 255.f;
    return;
  }
  for (int64_t y = 0; y < plan.outRows; ++y) {
    const uint8_t *r0 = in + plan.y0[y] * plan.inCols;
    const uint8_t *r1 = r0 + plan.dy[y] * plan.inCols;
    float h1 = plan.wy[y], h0 = 1.f - h1;
    for (int64_t x = 0; x < plan.outCols; ++x) {
      int32_t c0 = plan.x0[x], c1 = c0 + plan.dx[x];
      float w1 = plan.wx[x], w0 = 1.f - w1;
      float p00 = r0[c0] / 255.f, p01 = r0[c1] / 255.f;
      float p10 = r1[c0] / 255.f, p11 = r1[c1] / 255.f;
      out[y * plan.outCols + x] =
          h0 * (w0 * p00 + w1 * p01) + h1 * (w0 * p10 + w1 * p11);
    }
  }
}

void fillBatch(const Dataset &data, const ResizePlan &plan,
               const int64_t *indices, int64_t count, int64_t batch,
               float *images, int32_t *labels) {
  int64_t pixels = plan.outRows * plan.outCols;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    float *out = images + b * pixels;
    if (b >= count) {
      std::memset(out, 0, pixels * sizeof(float));
      labels[b] = -1;
      continue;
    }
    int64_t idx = indices[b];
    labels[b] = data.labels[idx];
    scaleImage(data.images.data() + idx * data.rows * data.cols, plan, out);
  }
}

} // namespace alexc::rt
