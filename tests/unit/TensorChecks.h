//===- TensorChecks.h - Random reference tensors and their comparison -----===//
//
// Random tensors, the geometry of a test case and relative errors, shared
// by the unit tests: the CPU and CUDA-host kernel checks (runtime kernels
// against the interpreter's reference kernels) and the gradient checks.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_TESTS_UNIT_TENSORCHECKS_H
#define ALEXC_TESTS_UNIT_TENSORCHECKS_H

#include "Interpreter/ReferenceKernels.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace alexc::testing {

using T = ref::Tensor<float>;

/// Uniform values in [lo, hi), of element type E (float unless named).
template <typename E = float>
inline ref::Tensor<E> random(std::vector<int64_t> shape, std::mt19937 &rng,
                             double lo = -1, double hi = 1) {
  ref::Tensor<E> t(std::move(shape));
  std::uniform_real_distribution<E> u(static_cast<E>(lo), static_cast<E>(hi));
  for (E &v : t.data)
    v = u(rng);
  return t;
}

/// The geometry (cpu:: or cuda::ConvGeom) of a test case with fields N, C,
/// H, W, O, KH, KW, SH, SW, PH, PW; the output size as the reference has it.
template <typename Geom, typename Case> Geom convGeometry(const Case &c) {
  return {c.N,
          c.C,
          c.H,
          c.W,
          c.O,
          c.KH,
          c.KW,
          c.SH,
          c.SW,
          c.PH,
          c.PW,
          ref::windowOutput(c.H, c.KH, c.SH, c.PH),
          ref::windowOutput(c.W, c.KW, c.SW, c.PW)};
}

/// The same for a pooling (cpu:: or cuda::PoolGeom), which has no O.
template <typename Geom, typename Case> Geom poolGeometry(const Case &c) {
  return {c.N,
          c.C,
          c.H,
          c.W,
          c.KH,
          c.KW,
          c.SH,
          c.SW,
          c.PH,
          c.PW,
          ref::windowOutput(c.H, c.KH, c.SH, c.PH),
          ref::windowOutput(c.W, c.KW, c.SW, c.PW)};
}

/// Largest |got - want| over the largest |want|; NaN where the two differ
/// in being NaN (so any comparison with a bound fails).
inline double relError(const T &got, const T &want) {
  double err = 0, scale = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(want[i]))
      return NAN;
    if (std::isnan(want[i]))
      continue;
    err = std::max(err, double(std::fabs(got[i] - want[i])));
    scale = std::max(scale, double(std::fabs(want[i])));
  }
  return scale > 0 ? err / scale : err;
}

/// The first `rows` rows (dimension 0) of `t`.
inline T firstRows(const T &t, int64_t rows) {
  std::vector<int64_t> shape = t.shape;
  shape[0] = rows;
  T out(shape);
  std::copy(t.data.begin(), t.data.begin() + out.data.size(), out.data.begin());
  return out;
}

} // namespace alexc::testing

#endif
