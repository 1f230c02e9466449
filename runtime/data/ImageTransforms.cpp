//===- ImageTransforms.cpp - Applying the data transforms to one image ----===//
#include "runtime/data/ImageTransforms.h"
#include "runtime/abi/Philox.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace alexc::rt {
namespace {

/// torch.empty(1).uniform_(lo, hi) and torch.randint(lo, hi) from draws of
/// this example's stream for the transform.
struct Draws {
  const DrawKey &key;
  uint32_t stream;
  uint32_t next = 0;
  double unit() {
    return rng::dataUniform(key.seed, key.epoch, stream, key.example, next++);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  /// In [lo, hi).
  int64_t integer(int64_t lo, int64_t hi) {
    int64_t v = lo + int64_t(unit() * double(hi - lo));
    return std::min(v, hi - 1);
  }
};

/// Python's round (half to even), which torchvision's crops use.
int64_t roundHalfEven(double x) { return int64_t(std::nearbyint(x)); }

/// center_crop's box; a crop larger than the image reaches into the zero
/// padding torchvision adds (the odd pixel on the bottom and right).
Decision centerCropBox(const Transform &t, int64_t h, int64_t w) {
  auto offset = [](int64_t in, int64_t out) {
    return in >= out ? roundHalfEven(double(in - out) / 2.0)
                     : -((out - in) / 2);
  };
  Decision d;
  d.v[0] = float(offset(h, t.height));
  d.v[1] = float(offset(w, t.width));
  d.v[2] = float(t.height);
  d.v[3] = float(t.width);
  return d;
}

/// RandomResizedCrop.get_params: ten tries at a box of random area and
/// aspect ratio, then the largest central box within the ratio range.
Decision resizedCropBox(const Transform &t, Draws &r, int64_t h, int64_t w) {
  double area = double(h) * double(w);
  double logRatio[2] = {std::log(t.ratio[0]), std::log(t.ratio[1])};
  Decision d;
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target = area * r.uniform(t.scale[0], t.scale[1]);
    double aspect = std::exp(r.uniform(logRatio[0], logRatio[1]));
    int64_t cw = roundHalfEven(std::sqrt(target * aspect));
    int64_t ch = roundHalfEven(std::sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      d.v[0] = float(r.integer(0, h - ch + 1));
      d.v[1] = float(r.integer(0, w - cw + 1));
      d.v[2] = float(ch), d.v[3] = float(cw);
      return d;
    }
  }
  double inRatio = double(w) / double(h);
  int64_t cw = w, ch = h;
  if (inRatio < t.ratio[0])
    ch = roundHalfEven(double(cw) / t.ratio[0]);
  else if (inRatio > t.ratio[1])
    cw = roundHalfEven(double(ch) * t.ratio[1]);
  d.v[0] = float((h - ch) / 2), d.v[1] = float((w - cw) / 2);
  d.v[2] = float(ch), d.v[3] = float(cw);
  return d;
}

Decision jitterDecision(const Transform &t, Draws &r) {
  Decision d;
  int order[4] = {0, 1, 2, 3}; // a uniform permutation, as randperm(4)
  for (int i = 3; i > 0; --i)
    std::swap(order[i], order[r.integer(0, i + 1)]);
  for (int i = 0; i < 4; ++i)
    d.v[i] = float(order[i]);
  double amounts[3] = {t.brightness, t.contrast, t.saturation};
  for (int k = 0; k < 3; ++k)
    d.v[4 + k] =
        amounts[k] > 0
            ? float(r.uniform(std::max(0.0, 1 - amounts[k]), 1 + amounts[k]))
            : -1.f;
  return d;
}

/// The window [top, top + h) x [left, left + w) of `in`, zero outside it.
void crop(const FloatImage &in, int64_t top, int64_t left, int64_t h, int64_t w,
          FloatImage &out) {
  out.channels = in.channels, out.height = h, out.width = w;
  out.data.assign(size_t(in.channels * h * w), 0.f);
  for (int64_t c = 0; c < in.channels; ++c)
    for (int64_t y = 0; y < h; ++y) {
      int64_t sy = top + y;
      if (sy < 0 || sy >= in.height)
        continue;
      const float *src = in.data.data() + (c * in.height + sy) * in.width;
      float *dst = out.data.data() + (c * h + y) * w;
      for (int64_t x = 0; x < w; ++x) {
        int64_t sx = left + x;
        if (sx >= 0 && sx < in.width)
          dst[x] = src[sx];
      }
    }
}

void flipHorizontally(FloatImage &image) {
  for (int64_t row = 0; row < image.channels * image.height; ++row) {
    float *p = image.data.data() + row * image.width;
    std::reverse(p, p + image.width);
  }
}

/// torchvision's rgb_to_grayscale on a float image (one plane).
std::vector<float> grayscale(const FloatImage &image) {
  int64_t n = image.height * image.width;
  std::vector<float> gray(image.data.begin(), image.data.begin() + n);
  if (image.channels == 3)
    for (int64_t i = 0; i < n; ++i)
      gray[size_t(i)] = 0.2989f * image.data[size_t(i)] +
                        0.587f * image.data[size_t(n + i)] +
                        0.114f * image.data[size_t(2 * n + i)];
  return gray;
}

/// torchvision's _blend: ratio * image + (1 - ratio) * other, in [0, 1];
/// `other` is one plane (every channel) or a single value.
void blend(FloatImage &image, float ratio, const float *otherPlane,
           float otherValue) {
  float rest = float(1.0 - double(ratio));
  int64_t n = image.height * image.width;
  for (int64_t c = 0; c < image.channels; ++c)
    for (int64_t i = 0; i < n; ++i) {
      float &x = image.data[size_t(c * n + i)];
      float o = otherPlane ? otherPlane[i] : otherValue;
      x = std::clamp(ratio * x + rest * o, 0.f, 1.f);
    }
}

void colorJitter(const Decision &d, FloatImage &image) {
  for (int i = 0; i < 4; ++i) {
    int which = int(d.v[i]);
    if (which == 3 || d.v[4 + which] < 0)
      continue; // hue is not offered; a factor of -1 means "not jittered"
    float f = d.v[4 + which];
    if (which == 0) {
      blend(image, f, nullptr, 0.f);
    } else if (which == 1) {
      std::vector<float> gray = grayscale(image);
      double sum = 0;
      for (float g : gray)
        sum += g;
      blend(image, f, nullptr, float(sum / double(gray.size())));
    } else {
      std::vector<float> gray = grayscale(image);
      blend(image, f, gray.data(), 0.f);
    }
  }
}

void normalize(const Transform &t, FloatImage &image) {
  int64_t n = image.height * image.width;
  for (int64_t c = 0; c < image.channels; ++c) {
    float m = float(t.mean[t.mean.size() == 1 ? 0 : size_t(c)]);
    float s = float(t.std[t.std.size() == 1 ? 0 : size_t(c)]);
    float *p = image.data.data() + c * n;
    for (int64_t i = 0; i < n; ++i)
      p[i] = (p[i] - m) / s;
  }
}

/// The taps of an antialiased bilinear resize along one axis, from `in`
/// samples to `out` (torch's _compute_weights_aa): output i is the sum of
/// weights[i * width + j] * input[first[i] + j] for j < count[i].
struct Taps {
  std::vector<int64_t> first, count;
  std::vector<float> weights;
  int64_t width = 0;
  /// The same by tap: for tap j of output i, the input index
  /// (index[j * out + i], within the input) and weight (0 past count[i]).
  std::vector<int32_t> index;
  std::vector<float> weightByTap;
};

Taps antialiasedTaps(int64_t in, int64_t out) {
  Taps t;
  float scale = float(in) / float(out);
  float support = scale >= 1.f ? 1.f * scale : 1.f;
  float invScale = scale >= 1.f ? 1.f / scale : 1.f;
  t.width = int64_t(std::ceil(support)) * 2 + 1;
  t.weights.assign(size_t(out * t.width), 0.f);
  for (int64_t i = 0; i < out; ++i) {
    float center = scale * (float(i) + 0.5f);
    int64_t lo = std::max<int64_t>(int64_t(center - support + 0.5f), 0);
    int64_t n = std::min<int64_t>(int64_t(center + support + 0.5f), in) - lo;
    float *w = t.weights.data() + i * t.width;
    float total = 0.f;
    for (int64_t j = 0; j < n; ++j) {
      float x = std::fabs((float(j + lo) - center + 0.5f) * invScale);
      w[j] = x < 1.f ? 1.f - x : 0.f;
      total += w[j];
    }
    for (int64_t j = 0; j < n && total != 0.f; ++j)
      w[j] /= total;
    t.first.push_back(lo);
    t.count.push_back(n);
  }
  t.index.resize(size_t(t.width * out));
  t.weightByTap.resize(size_t(t.width * out));
  for (int64_t j = 0; j < t.width; ++j)
    for (int64_t i = 0; i < out; ++i) {
      bool used = j < t.count[size_t(i)];
      t.index[size_t(j * out + i)] =
          int32_t(used ? t.first[size_t(i)] + j : t.first[size_t(i)]);
      t.weightByTap[size_t(j * out + i)] =
          used ? t.weights[size_t(i * t.width + j)] : 0.f;
    }
  return t;
}

/// dst[i] = sum over j < count of rows[j * n + i] * weights[j], for i < n:
/// `count` rows of `n` combined (the taps' terms added in order, so each
/// output rounds as a loop over its taps would).
/// The hot loops are compiled for AVX-512 and AVX2 too (the runtime is
/// built for any x86-64), picked at load time.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define ALEXC_VECTOR_CLONES                                                    \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ALEXC_VECTOR_CLONES
#endif

ALEXC_VECTOR_CLONES
void combine(const float *__restrict rows, int64_t n,
             const float *__restrict weights, int64_t count,
             float *__restrict dst) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = 0.f;
  for (int64_t j = 0; j < count; ++j) {
    const float *__restrict row = rows + j * n;
    const float w = weights[j];
    for (int64_t i = 0; i < n; ++i)
      dst[i] += row[i] * w;
  }
}

/// The taps for (in, out), computed once per thread: a data set has few
/// distinct sizes (a random resized crop, a few hundred).
const Taps &cachedTaps(int64_t in, int64_t out) {
  thread_local std::map<std::pair<int64_t, int64_t>, Taps> cache;
  auto it = cache.find({in, out});
  if (it == cache.end())
    it = cache.emplace(std::make_pair(in, out), antialiasedTaps(in, out)).first;
  return it->second;
}

/// One row of `n` outputs from `src` by the taps: output i sums, tap by
/// tap in order, src[index] * weight (a zero weight past its taps adds
/// nothing), vectorized with gathers.
ALEXC_VECTOR_CLONES
void resampleRow(const float *__restrict src, const int32_t *__restrict index,
                 const float *__restrict weights, int64_t taps, int64_t n,
                 float *__restrict dst) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = 0.f;
  for (int64_t j = 0; j < taps; ++j)
    for (int64_t i = 0; i < n; ++i)
      dst[i] += src[index[j * n + i]] * weights[j * n + i];
}

/// Resamples the columns [left, left + w) of rows [top, top + h) of `in`
/// to `width` columns.
void resampleWidth(const FloatImage &in, int64_t top, int64_t left, int64_t h,
                   int64_t w, int64_t width, FloatImage &out) {
  out.channels = in.channels, out.height = h, out.width = width;
  out.data.resize(size_t(in.channels * h * width));
  const Taps *taps = w == width ? nullptr : &cachedTaps(w, width);
  for (int64_t c = 0; c < in.channels; ++c)
    for (int64_t y = 0; y < h; ++y) {
      const float *src =
          in.data.data() + (c * in.height + top + y) * in.width + left;
      float *dst = out.data.data() + (c * h + y) * width;
      if (taps)
        resampleRow(src, taps->index.data(), taps->weightByTap.data(),
                    taps->width, width, dst);
      else
        std::copy(src, src + w, dst);
    }
}

/// Resamples the rows of `in` to `height` rows.
void resampleHeight(const FloatImage &in, int64_t height, FloatImage &out) {
  const Taps &taps = cachedTaps(in.height, height);
  const int64_t w = in.width;
  out.channels = in.channels, out.height = height, out.width = w;
  out.data.resize(size_t(in.channels * height * w));
  for (int64_t c = 0; c < in.channels; ++c)
    for (int64_t y = 0; y < height; ++y) {
      combine(in.data.data() + (c * in.height + taps.first[size_t(y)]) * w, w,
              taps.weights.data() + y * taps.width, taps.count[size_t(y)],
              out.data.data() + (c * height + y) * w);
    }
}

/// The window (top, left, h, w) of `in` resized to (height, width), width
/// first; the result replaces `in`.
void resizeWindow(FloatImage &in, int64_t top, int64_t left, int64_t h,
                  int64_t w, int64_t height, int64_t width,
                  FloatImage &scratch) {
  if (h == height) {
    resampleWidth(in, top, left, h, w, width, scratch);
    std::swap(in, scratch);
    return;
  }
  if (w == width && top == 0 && left == 0 && w == in.width && h == in.height) {
    resampleHeight(in, height, scratch); // the whole width: no copy first
    std::swap(in, scratch);
    return;
  }
  resampleWidth(in, top, left, h, w, width, scratch);
  resampleHeight(scratch, height, in);
}

} // namespace

void resizeAntialiased(const FloatImage &in, int64_t height, int64_t width,
                       FloatImage &out, FloatImage &scratch) {
  out = in;
  resizeWindow(out, 0, 0, in.height, in.width, height, width, scratch);
}

Decision decideTransform(const Transform &t, uint32_t position,
                         const DrawKey &key, int64_t h, int64_t w) {
  Draws r{key, uint32_t(key.list) << 12 | position};
  Decision d;
  switch (t.kind) {
  case TransformKind::CenterCrop:
    return centerCropBox(t, h, w);
  case TransformKind::RandomCrop: {
    int64_t ph = h + 2 * t.padding, pw = w + 2 * t.padding;
    if (ph != t.height || pw != t.width) {
      d.v[0] = float(r.integer(0, ph - t.height + 1));
      d.v[1] = float(r.integer(0, pw - t.width + 1));
    }
    d.v[2] = float(t.height), d.v[3] = float(t.width);
    return d;
  }
  case TransformKind::RandomResizedCrop:
    return resizedCropBox(t, r, h, w);
  case TransformKind::RandomHorizontalFlip:
    d.v[0] = r.unit() < t.p ? 1.f : 0.f;
    return d;
  case TransformKind::ColorJitter:
    return jitterDecision(t, r);
  default:
    return d;
  }
}

void applyTransform(const Transform &t, const Decision &d, FloatImage &image,
                    FloatImage &scratch) {
  auto box = [&](int64_t shift) {
    crop(image, int64_t(d.v[0]) - shift, int64_t(d.v[1]) - shift,
         int64_t(d.v[2]), int64_t(d.v[3]), scratch);
    std::swap(image, scratch);
  };
  switch (t.kind) {
  case TransformKind::Resize: {
    int64_t h = image.height, w = image.width;
    transformOutputSize(t, h, w);
    resizeWindow(image, 0, 0, image.height, image.width, h, w, scratch);
    return;
  }
  case TransformKind::CenterCrop:
    return box(0);
  case TransformKind::RandomCrop:
    return box(t.padding);               // the box is in the zero-padded image
  case TransformKind::RandomResizedCrop: // the box lies inside the image
    resizeWindow(image, int64_t(d.v[0]), int64_t(d.v[1]), int64_t(d.v[2]),
                 int64_t(d.v[3]), t.height, t.width, scratch);
    return;
  case TransformKind::RandomHorizontalFlip:
    if (d.v[0] != 0)
      flipHorizontally(image);
    return;
  case TransformKind::ColorJitter:
    return colorJitter(d, image);
  case TransformKind::Normalize:
    return normalize(t, image);
  }
}

void toFloatImage(const uint8_t *pixels, int64_t channels, int64_t height,
                  int64_t width, FloatImage &out) {
  out.channels = channels, out.height = height, out.width = width;
  out.data.resize(size_t(channels * height * width));
  for (size_t i = 0; i < out.data.size(); ++i)
    out.data[i] = float(pixels[i]) / 255.f;
}

void runTransforms(const std::vector<Transform> &list, const DrawKey &key,
                   FloatImage &image, FloatImage &scratch,
                   Decision *decisions) {
  for (size_t i = 0; i < list.size(); ++i) {
    Decision d =
        decideTransform(list[i], uint32_t(i), key, image.height, image.width);
    applyTransform(list[i], d, image, scratch);
    if (decisions)
      decisions[i] = d;
  }
}

} // namespace alexc::rt
