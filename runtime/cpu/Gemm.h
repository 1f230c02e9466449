//===- Gemm.h - Packed, blocked single-precision GEMM for the CPU ---------===//
//
// C[M x N] (+)= A[M x K] * B[K x N], with A and B addressed through two
// strides each (so transposed operands need no copy) and C row-major.
// The loop nest follows BLIS (Van Zee and van de Geijn, 2015): B is packed
// in KC x NR slivers, A in MR x KC slivers, and an MR x NR register-blocked
// micro-kernel written with GCC vector extensions does the work (one
// 16-float vector is an AVX-512 register; on AVX2 the compiler splits it).
// Header-only: it is compiled with the generated code and its flags.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_GEMM_H
#define ALEXC_RUNTIME_CPU_GEMM_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace alexc::cpu {

typedef float v16 __attribute__((vector_size(64)));

inline v16 loadv(const float *p) {
  v16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void storev(float *p, v16 v) { std::memcpy(p, &v, sizeof(v)); }

/// A strided matrix view: element (i, j) at data[i * rs + j * cs].
struct MatView {
  const float *data;
  int64_t rs, cs;
  float at(int64_t i, int64_t j) const { return data[i * rs + j * cs]; }
};

constexpr int64_t kMR = 8, kNR = 32; // register block: 16 accumulators
constexpr int64_t kKC = 256, kMC = 128; // cache blocks (L1/L2)
constexpr int64_t kNC = 2048;

/// acc(MR x NR) = sum over k of a[k][0..MR) outer b[k][0..NR); then
/// c = acc (+ c when accumulate).
inline void microKernel(int64_t kc, const float *a, const float *b, float *c,
                        int64_t ldc, bool accumulate) {
  v16 acc[kMR][2];
  for (int i = 0; i < kMR; ++i)
    acc[i][0] = acc[i][1] = v16{};
  for (int64_t k = 0; k < kc; ++k) {
    v16 b0 = loadv(b), b1 = loadv(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      float ai = a[i];
      acc[i][0] += ai * b0;
      acc[i][1] += ai * b1;
    }
    a += kMR;
    b += kNR;
  }
  for (int i = 0; i < kMR; ++i) {
    float *ci = c + i * ldc;
    if (accumulate) {
      storev(ci, loadv(ci) + acc[i][0]);
      storev(ci + 16, loadv(ci + 16) + acc[i][1]);
    } else {
      storev(ci, acc[i][0]);
      storev(ci + 16, acc[i][1]);
    }
  }
}

/// Packs rows [i0, i0 + mc) x columns [k0, k0 + kc) of A into MR-row
/// slivers, zero-padded.
inline void packA(MatView A, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                  float *out) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    int64_t mr = std::min(kMR, mc - ir);
    for (int64_t k = 0; k < kc; ++k) {
      const float *src = A.data + (i0 + ir) * A.rs + (k0 + k) * A.cs;
      int64_t i = 0;
      for (; i < mr; ++i)
        out[i] = src[i * A.rs];
      for (; i < kMR; ++i)
        out[i] = 0.f;
      out += kMR;
    }
  }
}

/// Packs rows [k0, k0 + kc) x columns [j0, j0 + nc) of B into NR-column
/// slivers, zero-padded.
inline void packB(MatView B, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                  float *out) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    int64_t nr = std::min(kNR, nc - jr);
    for (int64_t k = 0; k < kc; ++k) {
      const float *src = B.data + (k0 + k) * B.rs + (j0 + jr) * B.cs;
      if (B.cs == 1 && nr == kNR) {
        std::memcpy(out, src, kNR * sizeof(float));
      } else {
        int64_t j = 0;
        for (; j < nr; ++j)
          out[j] = src[j * B.cs];
        for (; j < kNR; ++j)
          out[j] = 0.f;
      }
      out += kNR;
    }
  }
}

/// Per-thread packing buffers, 64-byte aligned: a 64-byte vector load from
/// an unaligned address splits across two cache lines and halves the
/// micro-kernel's speed.
struct PackBuffer {
  std::vector<float> storage;
  float *get(size_t n) {
    if (storage.size() < n + 16)
      storage.resize(n + 16);
    auto addr = reinterpret_cast<uintptr_t>(storage.data());
    return reinterpret_cast<float *>((addr + 63) & ~uintptr_t(63));
  }
};

/// Single-threaded C = A * B (+ C when accumulate). C is row-major with
/// leading dimension ldc.
inline void gemm(int64_t M, int64_t N, int64_t K, MatView A, MatView B,
                 float *C, int64_t ldc, bool accumulate) {
  static thread_local PackBuffer apackBuffer, bpackBuffer;
  float *apack = apackBuffer.get((kMC + kMR - 1) / kMR * kMR * kKC);
  float *bpack =
      bpackBuffer.get(kKC * ((std::min(N, kNC) + kNR - 1) / kNR * kNR));
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i)
        std::memset(C + i * ldc, 0, N * sizeof(float));
    return;
  }
  float tile[kMR * kNR];
  for (int64_t jc = 0; jc < N; jc += kNC) {
    int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      int64_t kc = std::min(kKC, K - pc);
      bool acc = accumulate || pc > 0;
      packB(B, pc, kc, jc, nc, bpack);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        int64_t mc = std::min(kMC, M - ic);
        packA(A, ic, mc, pc, kc, apack);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          int64_t nr = std::min(kNR, nc - jr);
          const float *bp = bpack + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            int64_t mr = std::min(kMR, mc - ir);
            const float *ap = apack + ir * kc;
            float *c = C + (ic + ir) * ldc + jc + jr;
            if (mr == kMR && nr == kNR) {
              microKernel(kc, ap, bp, c, ldc, acc);
              continue;
            }
            microKernel(kc, ap, bp, tile, kNR, false);
            for (int64_t i = 0; i < mr; ++i)
              for (int64_t j = 0; j < nr; ++j)
                c[i * ldc + j] =
                    (acc ? c[i * ldc + j] : 0.f) + tile[i * kNR + j];
          }
        }
      }
    }
  }
}

/// gemm split over the threads of a new parallel region: by columns when N
/// is wide enough, else by rows.
inline void gemmParallel(int64_t M, int64_t N, int64_t K, MatView A, MatView B,
                         float *C, int64_t ldc, bool accumulate) {
#ifdef _OPENMP
  int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  int threads = 1;
#endif
  if (threads <= 1 || (M < 2 * kMR && N < 2 * kNR)) {
    gemm(M, N, K, A, B, C, ldc, accumulate);
    return;
  }
  bool byColumns = N >= threads * kNR && N >= M;
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    int t = 0, nt = 1;
#endif
    int64_t extent = byColumns ? N : M, unit = byColumns ? kNR : kMR;
    int64_t units = (extent + unit - 1) / unit;
    int64_t begin = units * t / nt * unit;
    int64_t end = std::min(extent, units * (t + 1) / nt * unit);
    if (begin < end) {
      if (byColumns)
        gemm(M, end - begin, K, A, MatView{B.data + begin * B.cs, B.rs, B.cs},
             C + begin, ldc, accumulate);
      else
        gemm(end - begin, N, K, MatView{A.data + begin * A.rs, A.rs, A.cs}, B,
             C + begin * ldc, ldc, accumulate);
    }
  }
}

} // namespace alexc::cpu

#endif
