//===- ReferenceKernels.h - Obviously correct loops for every nn op -------===//
//
// The oracle of the project: plain nested loops that follow each op's
// definition (docs/ir.md, NNOps.td) with no tiling, no layout tricks and no
// fusion, templated on the element type (float, or double for
// finite-difference checks). Slow is fine; wrong is not. Tensors are dense,
// row-major, in the nn dialect's layouts (NCHW, [out, in, kh, kw]).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_INTERPRETER_REFERENCEKERNELS_H
#define ALEXC_INTERPRETER_REFERENCEKERNELS_H

#include "runtime/abi/Philox.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace alexc::ref {

template <typename T> struct Tensor {
  std::vector<int64_t> shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> s, T fill = T(0)) : shape(std::move(s)) {
    data.assign(numElements(shape), fill);
  }
  static int64_t numElements(const std::vector<int64_t> &s) {
    int64_t n = 1;
    for (int64_t d : s)
      n *= d;
    return n;
  }
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  int64_t dim(size_t i) const { return shape[i]; }
  T &operator[](int64_t i) { return data[i]; }
  const T &operator[](int64_t i) const { return data[i]; }
  /// Element (a, b, c, d) of a 4-D tensor.
  T &at(int64_t a, int64_t b, int64_t c, int64_t d) {
    return data[((a * shape[1] + b) * shape[2] + c) * shape[3] + d];
  }
  const T &at(int64_t a, int64_t b, int64_t c, int64_t d) const {
    return data[((a * shape[1] + b) * shape[2] + c) * shape[3] + d];
  }
};

/// Geometry of a 2-D window op (convolution or pooling).
struct Window {
  int64_t kh, kw, sh, sw, ph, pw;
};

inline int64_t windowOutput(int64_t in, int64_t k, int64_t s, int64_t p) {
  return (in + 2 * p - k) / s + 1;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

template <typename T>
Tensor<T> conv2d(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> *bias,
                 Window win) {
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t O = w.dim(0);
  int64_t OH = windowOutput(H, win.kh, win.sh, win.ph);
  int64_t OW = windowOutput(W, win.kw, win.sw, win.pw);
  Tensor<T> y({N, O, OH, OW});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T acc = bias ? (*bias)[o] : T(0);
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < win.kh; ++i) {
              int64_t iy = oy * win.sh + i - win.ph;
              if (iy < 0 || iy >= H)
                continue;
              for (int64_t j = 0; j < win.kw; ++j) {
                int64_t ix = ox * win.sw + j - win.pw;
                if (ix < 0 || ix >= W)
                  continue;
                acc += x.at(n, c, iy, ix) * w.at(o, c, i, j);
              }
            }
          y.at(n, o, oy, ox) = acc;
        }
  return y;
}

/// d(loss)/d(input): scatter every output gradient back through the window.
template <typename T>
Tensor<T> conv2dInputGrad(const Tensor<T> &dy, const Tensor<T> &w,
                          std::vector<int64_t> inputShape, Window win) {
  Tensor<T> dx(std::move(inputShape));
  int64_t N = dy.dim(0), O = dy.dim(1), OH = dy.dim(2), OW = dy.dim(3);
  int64_t C = dx.dim(1), H = dx.dim(2), W = dx.dim(3);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T g = dy.at(n, o, oy, ox);
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < win.kh; ++i) {
              int64_t iy = oy * win.sh + i - win.ph;
              if (iy < 0 || iy >= H)
                continue;
              for (int64_t j = 0; j < win.kw; ++j) {
                int64_t ix = ox * win.sw + j - win.pw;
                if (ix >= 0 && ix < W)
                  dx.at(n, c, iy, ix) += g * w.at(o, c, i, j);
              }
            }
        }
  return dx;
}

/// d(loss)/d(weight) = sum over batch and output positions of
/// output gradient times the input under the window.
template <typename T>
Tensor<T> conv2dWeightGrad(const Tensor<T> &x, const Tensor<T> &dy,
                           std::vector<int64_t> weightShape, Window win) {
  Tensor<T> dw(std::move(weightShape));
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t O = dy.dim(1), OH = dy.dim(2), OW = dy.dim(3);
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < win.kh; ++i)
        for (int64_t j = 0; j < win.kw; ++j) {
          T acc = 0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t oy = 0; oy < OH; ++oy) {
              int64_t iy = oy * win.sh + i - win.ph;
              if (iy < 0 || iy >= H)
                continue;
              for (int64_t ox = 0; ox < OW; ++ox) {
                int64_t ix = ox * win.sw + j - win.pw;
                if (ix >= 0 && ix < W)
                  acc += dy.at(n, o, oy, ox) * x.at(n, c, iy, ix);
              }
            }
          dw.at(o, c, i, j) = acc;
        }
  return dw;
}

/// Sum over every dimension but 1: [N, O, ...] -> [O].
template <typename T> Tensor<T> biasGrad(const Tensor<T> &dy) {
  int64_t N = dy.dim(0), O = dy.dim(1), inner = dy.size() / (N * O);
  Tensor<T> db({O});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t k = 0; k < inner; ++k)
        db[o] += dy[(n * O + o) * inner + k];
  return db;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Max over the unpadded positions of each window; returns the winning
/// flat input index of each output too (first maximum on ties).
template <typename T>
Tensor<T> maxPool2d(const Tensor<T> &x, Window win,
                    std::vector<int64_t> *argmax = nullptr) {
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t OH = windowOutput(H, win.kh, win.sh, win.ph);
  int64_t OW = windowOutput(W, win.kw, win.sw, win.pw);
  Tensor<T> y({N, C, OH, OW});
  if (argmax)
    argmax->assign(y.size(), -1);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t bestIndex = -1;
          for (int64_t i = 0; i < win.kh; ++i) {
            int64_t iy = oy * win.sh + i - win.ph;
            if (iy < 0 || iy >= H)
              continue;
            for (int64_t j = 0; j < win.kw; ++j) {
              int64_t ix = ox * win.sw + j - win.pw;
              if (ix < 0 || ix >= W)
                continue;
              T v = x.at(n, c, iy, ix);
              if (bestIndex < 0 || v > best || std::isnan(v)) {
                best = v;
                bestIndex = ((n * C + c) * H + iy) * W + ix;
              }
            }
          }
          y.at(n, c, oy, ox) = best;
          if (argmax)
            (*argmax)[((n * C + c) * OH + oy) * OW + ox] = bestIndex;
        }
  return y;
}

template <typename T>
Tensor<T> maxPool2dGrad(const Tensor<T> &x, const Tensor<T> &dy, Window win) {
  std::vector<int64_t> argmax;
  maxPool2d(x, win, &argmax);
  Tensor<T> dx(x.shape);
  for (int64_t k = 0; k < dy.size(); ++k)
    dx[argmax[k]] += dy[k];
  return dx;
}

/// Mean over each window, padded positions counting as zeros, divided by
/// the full window size.
template <typename T> Tensor<T> avgPool2d(const Tensor<T> &x, Window win) {
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t OH = windowOutput(H, win.kh, win.sh, win.ph);
  int64_t OW = windowOutput(W, win.kw, win.sw, win.pw);
  Tensor<T> y({N, C, OH, OW});
  T scale = T(1) / T(win.kh * win.kw);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T acc = 0;
          for (int64_t i = 0; i < win.kh; ++i)
            for (int64_t j = 0; j < win.kw; ++j) {
              int64_t iy = oy * win.sh + i - win.ph,
                      ix = ox * win.sw + j - win.pw;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                acc += x.at(n, c, iy, ix);
            }
          y.at(n, c, oy, ox) = acc * scale;
        }
  return y;
}

template <typename T>
Tensor<T> avgPool2dGrad(const Tensor<T> &dy, std::vector<int64_t> inputShape,
                        Window win) {
  Tensor<T> dx(std::move(inputShape));
  int64_t N = dy.dim(0), C = dy.dim(1), OH = dy.dim(2), OW = dy.dim(3);
  int64_t H = dx.dim(2), W = dx.dim(3);
  T scale = T(1) / T(win.kh * win.kw);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T g = dy.at(n, c, oy, ox) * scale;
          for (int64_t i = 0; i < win.kh; ++i)
            for (int64_t j = 0; j < win.kw; ++j) {
              int64_t iy = oy * win.sh + i - win.ph,
                      ix = ox * win.sw + j - win.pw;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                dx.at(n, c, iy, ix) += g;
            }
        }
  return dx;
}

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

template <typename T>
Tensor<T> dense(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> *bias) {
  int64_t N = x.dim(0), F = x.dim(1), U = w.dim(0);
  Tensor<T> y({N, U});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t u = 0; u < U; ++u) {
      T acc = bias ? (*bias)[u] : T(0);
      for (int64_t f = 0; f < F; ++f)
        acc += x[n * F + f] * w[u * F + f];
      y[n * U + u] = acc;
    }
  return y;
}

/// [N, U] x [U, F] -> [N, F]
template <typename T>
Tensor<T> denseInputGrad(const Tensor<T> &dy, const Tensor<T> &w) {
  int64_t N = dy.dim(0), U = dy.dim(1), F = w.dim(1);
  Tensor<T> dx({N, F});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t u = 0; u < U; ++u) {
      T g = dy[n * U + u];
      for (int64_t f = 0; f < F; ++f)
        dx[n * F + f] += g * w[u * F + f];
    }
  return dx;
}

/// [U, N] x [N, F] -> [U, F]
template <typename T>
Tensor<T> denseWeightGrad(const Tensor<T> &x, const Tensor<T> &dy) {
  int64_t N = x.dim(0), F = x.dim(1), U = dy.dim(1);
  Tensor<T> dw({U, F});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t u = 0; u < U; ++u) {
      T g = dy[n * U + u];
      for (int64_t f = 0; f < F; ++f)
        dw[u * F + f] += g * x[n * F + f];
    }
  return dw;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename T, typename F> Tensor<T> map(const Tensor<T> &x, F f) {
  Tensor<T> y(x.shape);
  for (int64_t i = 0; i < x.size(); ++i)
    y[i] = f(x[i]);
  return y;
}

template <typename T, typename F>
Tensor<T> zipWith(const Tensor<T> &a, const Tensor<T> &b, F f) {
  Tensor<T> y(a.shape);
  for (int64_t i = 0; i < a.size(); ++i)
    y[i] = f(a[i], b[i]);
  return y;
}

template <typename T> Tensor<T> relu(const Tensor<T> &x) {
  return map(x, [](T v) { return v > T(0) ? v : T(0); });
}
template <typename T> Tensor<T> sigmoid(const Tensor<T> &x) {
  return map(x, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
}
template <typename T> Tensor<T> tanh(const Tensor<T> &x) {
  return map(x, [](T v) { return std::tanh(v); });
}
template <typename T>
Tensor<T> reluGrad(const Tensor<T> &y, const Tensor<T> &dy) {
  return zipWith(y, dy, [](T o, T g) { return o > T(0) ? g : T(0); });
}
template <typename T>
Tensor<T> sigmoidGrad(const Tensor<T> &y, const Tensor<T> &dy) {
  return zipWith(y, dy, [](T o, T g) { return g * o * (T(1) - o); });
}
template <typename T>
Tensor<T> tanhGrad(const Tensor<T> &y, const Tensor<T> &dy) {
  return zipWith(y, dy, [](T o, T g) { return g * (T(1) - o * o); });
}
template <typename T> Tensor<T> add(const Tensor<T> &a, const Tensor<T> &b) {
  return zipWith(a, b, [](T x, T y) { return x + y; });
}

//===----------------------------------------------------------------------===//
// Batch normalization: statistics per channel (dimension 1) over every other
// dimension; `inner` is the product of the dimensions after the channel.
//===----------------------------------------------------------------------===//

struct ChannelLayout {
  int64_t n, c, inner;
  template <typename T> static ChannelLayout of(const Tensor<T> &x) {
    return {x.shape[0], x.shape[1], x.size() / (x.shape[0] * x.shape[1])};
  }
  int64_t index(int64_t b, int64_t ch, int64_t i) const {
    return (b * c + ch) * inner + i;
  }
  int64_t count() const { return n * inner; }
};

/// Training mode: y, the batch mean and 1 / sqrt(biased var + eps) per
/// channel, and the running statistics after the update (unbiased var).
template <typename T>
void batchNormTrain(const Tensor<T> &x, const Tensor<T> &runMean,
                    const Tensor<T> &runVar, const Tensor<T> *gamma,
                    const Tensor<T> *beta, double momentum, double eps,
                    Tensor<T> &y, Tensor<T> &mean, Tensor<T> &invstd,
                    Tensor<T> &newMean, Tensor<T> &newVar) {
  ChannelLayout l = ChannelLayout::of(x);
  y = Tensor<T>(x.shape);
  mean = invstd = newMean = newVar = Tensor<T>({l.c});
  for (int64_t ch = 0; ch < l.c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i)
        sum += x[l.index(b, ch, i)];
    double m = sum / l.count();
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i) {
        double d = x[l.index(b, ch, i)] - m;
        sq += d * d;
      }
    double var = sq / l.count();
    double is = 1.0 / std::sqrt(var + eps);
    double g = gamma ? double((*gamma)[ch]) : 1.0;
    double bt = beta ? double((*beta)[ch]) : 0.0;
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i) {
        int64_t k = l.index(b, ch, i);
        y[k] = T(g * (x[k] - m) * is + bt);
      }
    double unbiased = l.count() > 1 ? sq / (l.count() - 1) : var;
    mean[ch] = T(m);
    invstd[ch] = T(is);
    newMean[ch] = T(momentum * runMean[ch] + (1 - momentum) * m);
    newVar[ch] = T(momentum * runVar[ch] + (1 - momentum) * unbiased);
  }
}

/// Evaluation mode: the running statistics.
template <typename T>
Tensor<T> batchNormInference(const Tensor<T> &x, const Tensor<T> &mean,
                             const Tensor<T> &var, const Tensor<T> *gamma,
                             const Tensor<T> *beta, double eps) {
  ChannelLayout l = ChannelLayout::of(x);
  Tensor<T> y(x.shape);
  for (int64_t ch = 0; ch < l.c; ++ch) {
    double is = 1.0 / std::sqrt(double(var[ch]) + eps);
    double g = gamma ? double((*gamma)[ch]) : 1.0;
    double bt = beta ? double((*beta)[ch]) : 0.0;
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i) {
        int64_t k = l.index(b, ch, i);
        y[k] = T(g * (x[k] - mean[ch]) * is + bt);
      }
  }
  return y;
}

/// The gradients of batchNormTrain's y (docs in NNOps.td).
template <typename T>
void batchNormGrad(const Tensor<T> &x, const Tensor<T> &dy,
                   const Tensor<T> &mean, const Tensor<T> &invstd,
                   const Tensor<T> *gamma, Tensor<T> &dx, Tensor<T> &dgamma,
                   Tensor<T> &dbeta) {
  ChannelLayout l = ChannelLayout::of(x);
  dx = Tensor<T>(x.shape);
  dgamma = dbeta = Tensor<T>({l.c});
  double count = double(l.count());
  for (int64_t ch = 0; ch < l.c; ++ch) {
    double db = 0, dg = 0, m = mean[ch], is = invstd[ch];
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i) {
        int64_t k = l.index(b, ch, i);
        db += dy[k];
        dg += dy[k] * (x[k] - m) * is;
      }
    double g = gamma ? double((*gamma)[ch]) : 1.0;
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t i = 0; i < l.inner; ++i) {
        int64_t k = l.index(b, ch, i);
        double xhat = (x[k] - m) * is;
        dx[k] = T(g * is / count * (count * dy[k] - db - xhat * dg));
      }
    dgamma[ch] = T(dg);
    dbeta[ch] = T(db);
  }
}

/// Inputs joined along dimension 1: for each leading index n, the inputs'
/// rows n one after another.
template <typename T>
Tensor<T> concat(const std::vector<const Tensor<T> *> &inputs) {
  std::vector<int64_t> shape = inputs[0]->shape;
  shape[1] = 0;
  for (const Tensor<T> *x : inputs)
    shape[1] += x->shape[1];
  Tensor<T> y(shape);
  int64_t n = shape[0], out = 0;
  for (int64_t b = 0; b < n; ++b)
    for (const Tensor<T> *x : inputs)
      for (int64_t i = 0, row = x->size() / n; i < row; ++i)
        y[out++] = (*x)[b * row + i];
  return y;
}

/// Entries [offset, offset + count) of dimension 1.
template <typename T>
Tensor<T> slice(const Tensor<T> &x, int64_t offset, int64_t count) {
  std::vector<int64_t> shape = x.shape;
  shape[1] = count;
  Tensor<T> y(shape);
  int64_t inner = x.size() / (x.shape[0] * x.shape[1]);
  for (int64_t b = 0; b < x.shape[0]; ++b)
    for (int64_t c = 0; c < count; ++c)
      for (int64_t i = 0; i < inner; ++i)
        y[(b * count + c) * inner + i] =
            x[(b * x.shape[1] + offset + c) * inner + i];
  return y;
}

/// Inverted dropout; the backward pass is the same function of the
/// gradient (same mask, same scale).
template <typename T>
Tensor<T> dropout(const Tensor<T> &x, uint64_t seed, uint64_t step,
                  uint32_t stream, float rate) {
  Tensor<T> y(x.shape);
  T scale = T(1) / (T(1) - T(rate));
  for (int64_t i = 0; i < x.size(); ++i)
    y[i] = rng::dropoutKeep(seed, step, stream, i, rate) ? x[i] * scale : T(0);
  return y;
}

//===----------------------------------------------------------------------===//
// Loss and metrics. Labels are stored as T; a negative label marks padding.
//===----------------------------------------------------------------------===//

template <typename T>
T softmaxCrossEntropy(const Tensor<T> &logits, const Tensor<T> &labels) {
  int64_t N = logits.dim(0), K = logits.dim(1);
  T sum = 0;
  int64_t count = 0;
  for (int64_t n = 0; n < N; ++n) {
    int64_t label = static_cast<int64_t>(labels[n]);
    if (label < 0)
      continue;
    const T *row = &logits[n * K];
    T mx = *std::max_element(row, row + K);
    T z = 0;
    for (int64_t k = 0; k < K; ++k)
      z += std::exp(row[k] - mx);
    sum += std::log(z) + mx - row[label];
    ++count;
  }
  return count ? sum / T(count) : T(0);
}

template <typename T>
Tensor<T> softmaxCrossEntropyGrad(const Tensor<T> &logits,
                                  const Tensor<T> &labels) {
  int64_t N = logits.dim(0), K = logits.dim(1);
  Tensor<T> d(logits.shape);
  int64_t count = 0;
  for (int64_t n = 0; n < N; ++n)
    count += labels[n] >= 0;
  if (!count)
    return d;
  for (int64_t n = 0; n < N; ++n) {
    int64_t label = static_cast<int64_t>(labels[n]);
    if (label < 0)
      continue;
    const T *row = &logits[n * K];
    T mx = *std::max_element(row, row + K);
    T z = 0;
    for (int64_t k = 0; k < K; ++k)
      z += std::exp(row[k] - mx);
    for (int64_t k = 0; k < K; ++k)
      d[n * K + k] =
          (std::exp(row[k] - mx) / z - (k == label ? T(1) : T(0))) / T(count);
  }
  return d;
}

template <typename T>
int64_t countCorrect(const Tensor<T> &logits, const Tensor<T> &labels) {
  int64_t N = logits.dim(0), K = logits.dim(1), correct = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T *row = &logits[n * K];
    int64_t best = std::max_element(row, row + K) - row; // first maximum
    correct += labels[n] >= 0 && best == static_cast<int64_t>(labels[n]);
  }
  return correct;
}

//===----------------------------------------------------------------------===//
// Optimizers (PyTorch semantics)
//===----------------------------------------------------------------------===//

template <typename T>
Tensor<T> sgd(const Tensor<T> &w, const Tensor<T> &g, T lr, T wd) {
  return zipWith(w, g, [&](T p, T d) { return p - lr * (d + wd * p); });
}

template <typename T>
void sgdMomentum(const Tensor<T> &w, const Tensor<T> &g, const Tensor<T> &buf,
                 T lr, T momentum, T wd, bool nesterov, Tensor<T> &newW,
                 Tensor<T> &newBuf) {
  newW = Tensor<T>(w.shape);
  newBuf = Tensor<T>(w.shape);
  for (int64_t i = 0; i < w.size(); ++i) {
    T d = g[i] + wd * w[i];
    T b = momentum * buf[i] + d;
    newBuf[i] = b;
    newW[i] = w[i] - lr * (nesterov ? d + momentum * b : b);
  }
}

/// `step` counts from 0; Adam's t is step + 1.
template <typename T>
void adam(const Tensor<T> &w, const Tensor<T> &g, const Tensor<T> &m,
          const Tensor<T> &v, T lr, int64_t step, T beta1, T beta2, T eps, T wd,
          Tensor<T> &newW, Tensor<T> &newM, Tensor<T> &newV) {
  newW = Tensor<T>(w.shape);
  newM = Tensor<T>(w.shape);
  newV = Tensor<T>(w.shape);
  double t = double(step + 1);
  T bc1 = T(1.0 - std::pow(double(beta1), t));
  T bc2 = T(1.0 - std::pow(double(beta2), t));
  T stepSize = lr / bc1;
  T bc2Sqrt = std::sqrt(bc2);
  for (int64_t i = 0; i < w.size(); ++i) {
    T d = g[i] + wd * w[i];
    newM[i] = beta1 * m[i] + (T(1) - beta1) * d;
    newV[i] = beta2 * v[i] + (T(1) - beta2) * d * d;
    T denom = std::sqrt(newV[i]) / bc2Sqrt + eps;
    newW[i] = w[i] - stepSize * newM[i] / denom;
  }
}

//===----------------------------------------------------------------------===//
// Initialization
//===----------------------------------------------------------------------===//

template <typename T>
Tensor<T> randomUniform(std::vector<int64_t> shape, uint64_t seed,
                        uint32_t stream, double bound) {
  Tensor<T> t(std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = T(float(rng::initUniform(seed, stream, i, bound)));
  return t;
}

template <typename T>
Tensor<T> randomNormal(std::vector<int64_t> shape, uint64_t seed,
                       uint32_t stream, double stddev) {
  Tensor<T> t(std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = T(float(rng::initNormal(seed, stream, i, stddev)));
  return t;
}

} // namespace alexc::ref

#endif
