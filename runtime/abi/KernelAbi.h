//===- KernelAbi.h - The kernel contract of the CPU and CUDA back ends ----===//
//
// What the generated code passes to a kernel, identical on both back ends:
// the geometries of convolutions and pooling, the kinds of pooling, filling
// and optimizer updates, the optimizer's table entry, and the per-element
// formulas that both runtimes must compute the same way (the updates, the
// initial values). The runtime functions of an op have the same name on
// both back ends (docs/adding-an-op.md lists them); their trailing
// arguments differ only in how the output and the frame are passed.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_KERNELABI_H
#define ALEXC_RUNTIME_KERNELABI_H

#include "runtime/abi/HostDevice.h"
#include "runtime/abi/Philox.h"

#include <cmath>
#include <cstdint>

namespace alexc::abi {

/// A 2-D convolution, NCHW: input N x C x H x W, weights O x C x KH x KW,
/// output N x O x OH x OW.
struct ConvGeom {
  int64_t N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW;
  ALEXC_HD int64_t ckk() const { return C * KH * KW; }
  ALEXC_HD int64_t ohw() const { return OH * OW; }
  ALEXC_HD bool pointwise() const {
    return KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
  }
};

/// 2-D pooling windows over N x C x H x W, output N x C x OH x OW.
struct PoolGeom {
  int64_t N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW;
};

enum class PoolKind : int32_t { Max, Avg };

/// Batch normalization over N x C x inner: statistics per channel c over
/// the N * inner elements (inner = H * W for 4-D inputs, 1 for 2-D).
/// A batch norm over N x C x inner. The statistics and gradients cover the
/// first `rows` images, those holding examples (a step's padding rows stay
/// out; 0 or N: all); the normalized output covers all N.
struct NormGeom {
  int64_t N, C, inner;
  ALEXC_HD int64_t statRows(int64_t rows) const {
    return rows > 0 && rows < N ? rows : N;
  }
  ALEXC_HD int64_t count(int64_t rows) const { return statRows(rows) * inner; }
  ALEXC_HD int64_t channelOf(int64_t i) const { return (i / inner) % C; }
};

/// Per-channel y = scale * x + shift of a normalization, from its
/// statistics (mean and 1 / sqrt(var + eps)) and gamma, beta (null: 1, 0).
ALEXC_HD void normAffine(float mean, float invstd, const float *gamma,
                         const float *beta, int64_t c, float &scale,
                         float &shift) {
  float g = gamma ? gamma[c] : 1.f, b = beta ? beta[c] : 0.f;
  scale = g * invstd;
  shift = b - mean * scale;
}

/// The running statistics after a training step (the variance unbiased).
ALEXC_HD float runningUpdate(float running, double momentum,
                             double batchValue) {
  return float(momentum * running + (1.0 - momentum) * batchValue);
}

/// What batch norm's training statistics write for each channel (each
/// pointer may be null): the mean and 1 / sqrt(var + eps) the backward pass
/// reads, and the running statistics after the step.
struct NormStatistics {
  const float *gamma, *beta, *runMean, *runVar;
  double momentum, eps;
  float *mean, *invstd, *newMean, *newVar;
};

/// Channel c's statistics from its batch mean m and sum of squared
/// deviations sq over `count` values: the affine coefficients scale and
/// shift, and what `s` asks for. Both back ends' statistics end here.
ALEXC_HD void finishNormStatistics(const NormStatistics &s, int64_t c, double m,
                                   double sq, double count, float &scale,
                                   float &shift) {
  float is = float(1.0 / sqrt(sq / count + s.eps));
  normAffine(float(m), is, s.gamma, s.beta, c, scale, shift);
  if (s.mean)
    s.mean[c] = float(m), s.invstd[c] = is;
  if (s.newMean)
    s.newMean[c] = runningUpdate(s.runMean[c], s.momentum, m);
  if (s.newVar)
    s.newVar[c] = runningUpdate(s.runVar[c], s.momentum,
                                count > 1 ? sq / (count - 1) : sq);
}
/// A strided block copy: for each of `rows` rows, `count` floats from
/// src[row * srcStride + srcOffset] to dst[row * dstStride + dstOffset].
/// Concat writes each input into its slice of dimension 1 this way (rows =
/// the batch), and its gradient reads each slice back.
struct BlockCopy {
  int64_t rows, count, srcStride, srcOffset, dstStride, dstOffset;
};

/// Where element i of a concat input written in place lies, from the
/// input's first element in the concat: its rows of `rowElements` are
/// `rowStride` apart (the concat's row). Fused epilogues store and read
/// such inputs through it; runtime kernels never see them.
ALEXC_HD int64_t sliceElement(int64_t i, int64_t rowElements,
                              int64_t rowStride) {
  return i / rowElements * rowStride + i % rowElements;
}
/// The same for i < 2^32, in 32-bit division (GPUs emulate 64-bit).
ALEXC_HD int64_t sliceElement32(int64_t i, int64_t rowElements,
                                int64_t rowStride) {
  uint32_t u = uint32_t(i), r = uint32_t(rowElements);
  return int64_t(u / r) * rowStride + int64_t(u % r);
}

enum class FillKind : int32_t { Uniform, Normal, Zero, One };

/// The value of element i of a filled tensor: `scale` is the uniform
/// bound or the normal standard deviation.
ALEXC_HD float fillValue(FillKind kind, uint64_t seed, uint32_t stream,
                         uint64_t i, double scale) {
  return kind == FillKind::Uniform
             ? float(rng::initUniform(seed, stream, i, scale))
         : kind == FillKind::Normal
             ? float(rng::initNormal(seed, stream, i, scale))
         : kind == FillKind::One ? 1.f
                                 : 0.f;
}

enum class UpdateKind : int32_t { SGD, Momentum, Adam };

/// One tensor of the multi-tensor optimizer kernel.
struct Update {
  UpdateKind kind;
  float *param;
  const float *grad;
  float *s1, *s2; // momentum buffer, or Adam's exp_avg and exp_avg_sq
  int64_t n;
  float momentum, weightDecay, beta1, beta2, epsilon;
  bool nesterov;
};

/// Adam's bias corrections at step t (counting from 1), computed once per
/// tensor and step: 1 - beta1^t and sqrt(1 - beta2^t).
struct AdamCorrection {
  float bc1, sqrtBc2;
};
ALEXC_HD AdamCorrection adamCorrection(const Update &up, double t) {
  float bc1 = float(1.0 - pow(double(up.beta1), t));
  float bc2 = float(1.0 - pow(double(up.beta2), t));
  return {bc1, sqrtf(bc2)};
}

// The new weight of one element; each kind on its own, so that the CPU's
// loops over one kind vectorize.
ALEXC_HD float sgdStep(const Update &up, float w, float grad, float lr) {
  return w - lr * (grad + up.weightDecay * w);
}

ALEXC_HD float momentumStep(const Update &up, float w, float grad, float &s1,
                            float lr) {
  float d = grad + up.weightDecay * w;
  float buf = up.momentum * s1 + d;
  s1 = buf;
  return w - lr * (up.nesterov ? d + up.momentum * buf : buf);
}

ALEXC_HD float adamStep(const Update &up, AdamCorrection c, float w, float grad,
                        float &s1, float &s2, float lr) {
  float d = grad + up.weightDecay * w;
  float m = up.beta1 * s1 + (1.f - up.beta1) * d;
  float v = up.beta2 * s2 + (1.f - up.beta2) * d * d;
  s1 = m;
  s2 = v;
  return w - (lr / c.bc1) * m / (sqrtf(v) / c.sqrtBc2 + up.epsilon);
}

/// Any kind, for code that handles one element at a time (CUDA).
ALEXC_HD float updatedWeight(const Update &up, AdamCorrection c, float w,
                             float grad, float &s1, float &s2, float lr) {
  if (up.kind == UpdateKind::SGD)
    return sgdStep(up, w, grad, lr);
  if (up.kind == UpdateKind::Momentum)
    return momentumStep(up, w, grad, s1, lr);
  return adamStep(up, c, w, grad, s1, s2, lr);
}

} // namespace alexc::abi

#endif
