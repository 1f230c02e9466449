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
#ifdef __AVX512F__
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace alexc::cpu {

typedef float v16 __attribute__((vector_size(64)));

/// Threads a new parallel region would get here (1 inside one).
inline int maxThreads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

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
// Cache blocks: a KC x NR sliver of B stays in L1 while the MC x KC panel
// of A streams from L2. Overridable at compile time for tuning experiments.
#ifndef ALEXC_GEMM_KC
#define ALEXC_GEMM_KC 256
#endif
#ifndef ALEXC_GEMM_MC
#define ALEXC_GEMM_MC 128
#endif
#ifndef ALEXC_GEMM_NC
#define ALEXC_GEMM_NC 2048
#endif
#ifndef ALEXC_GEMM_NC_SINGLE_BLOCK
#define ALEXC_GEMM_NC_SINGLE_BLOCK 256
#endif
constexpr int64_t kKC = ALEXC_GEMM_KC, kMC = ALEXC_GEMM_MC;
constexpr int64_t kNC = ALEXC_GEMM_NC;
constexpr int64_t kNCSingleBlock = ALEXC_GEMM_NC_SINGLE_BLOCK; // M <= MC

/// acc(MR x NR) = sum over k of a[k][0..MR) outer b[k][0..NR); then
/// c = acc (+ c when accumulate).
inline void microKernel(int64_t kc, const float *a, const float *b, float *c,
                        int64_t ldc, bool accumulate) {
  // The C tile is read back only after the k loop: fetch it now so that
  // its cache misses overlap with the arithmetic.
  for (int i = 0; i < kMR; ++i) {
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + 16, 1);
  }
  v16 acc[kMR][2];
  for (int i = 0; i < kMR; ++i)
    acc[i][0] = acc[i][1] = v16{};
  for (int64_t k = 0; k < kc; ++k) {
    v16 b0 = loadv(b), b1 = loadv(b + 16);
#pragma GCC unroll 16
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

#ifdef __AVX512F__
/// out[k * pitch + r] = rows[r * stride + k] for r < 8, k < 16: the
/// transpose a packed sliver needs (pitch = MR = 8 for A, NR for B, eight
/// columns at a time), in three rounds of two-source permutes. Round by
/// round, element (r, k) sits in vector `vec` at lane `lane`:
///   start:   vec = r                        lane = k
///   round 1: vec = r2 r1 k3                 lane = r0 k2 k1 k0
///   round 2: vec = r2 k2 k3                 lane = r0 r1 k1 k0
///   round 3: vec = k >> 1                   lane = (k & 1) * 8 + r
/// (bits listed high to low). Each round trades one bit between `vec` and
/// `lane`, so every new vector draws on exactly two old ones.
class Transpose8x16 {
public:
  static void apply(const float *rows, int64_t stride, float *out,
                    int64_t pitch = 8) {
    __m512 v[8];
    for (int r = 0; r < 8; ++r)
      v[r] = _mm512_loadu_ps(rows + r * stride);
    apply(v, out, pitch);
  }
  /// The same with the eight rows already in registers.
  static void apply(const __m512 *rows, float *out, int64_t pitch = 8) {
    __m512 v[8];
    for (int r = 0; r < 8; ++r)
      v[r] = rows[r];
    static const Transpose8x16 plan;
    __m512 w[8];
    for (int round = 0; round < 3; ++round) {
      for (int t = 0; t < 8; ++t) {
        const Step &s = plan.steps[round][t];
        w[t] = _mm512_permutex2var_ps(v[s.a], s.index, v[s.b]);
      }
      for (int t = 0; t < 8; ++t)
        v[t] = w[t];
    }
    if (pitch == 8) {
      for (int t = 0; t < 8; ++t)
        _mm512_storeu_ps(out + t * 16, v[t]);
      return;
    }
    for (int t = 0; t < 8; ++t) { // vector t holds k = 2t and 2t + 1
      // Lanes 0-7 to row 2t, lanes 8-15 to row 2t + 1 (masked stores write
      // only their lanes).
      _mm512_mask_storeu_ps(out + 2 * t * pitch, 0x00FF, v[t]);
      _mm512_mask_storeu_ps(out + (2 * t + 1) * pitch - 8, 0xFF00, v[t]);
    }
  }

private:
  struct Step {
    __m512i index;
    int a, b;
  };
  Step steps[3][8];

  static int bit(int value, int b) { return value >> b & 1; }
  static void place(int round, int r, int k, int &vec, int &lane) {
    switch (round) {
    case 0:
      vec = r, lane = k;
      break;
    case 1:
      vec = (r & 6) | bit(k, 3), lane = bit(r, 0) << 3 | (k & 7);
      break;
    case 2:
      vec = (r & 4) | bit(k, 2) << 1 | bit(k, 3);
      lane = bit(r, 0) << 3 | bit(r, 1) << 2 | (k & 3);
      break;
    default:
      vec = k >> 1, lane = (k & 1) * 8 + r;
    }
  }
  Transpose8x16() {
    for (int round = 0; round < 3; ++round)
      for (int t = 0; t < 8; ++t) {
        alignas(64) int32_t index[16];
        int a = -1, b = -1;
        for (int r = 0; r < 8; ++r)
          for (int k = 0; k < 16; ++k) {
            int vec, lane, from, fromLane;
            place(round + 1, r, k, vec, lane);
            if (vec != t)
              continue;
            place(round, r, k, from, fromLane);
            if (a < 0 || from == a)
              a = from;
            else
              b = from;
            index[lane] = (from == a ? 0 : 16) + fromLane;
          }
        if (b < 0)
          b = a;
        steps[round][t] = {_mm512_load_si512(index), a, b};
      }
  }
};

/// out[k * kMR + r] = rows[r][k] for r < kMR, k < 16 (one A sliver, 16
/// columns): eight rows at a time, the last eight overlapping the previous
/// group when kMR is not a multiple of 8 (they write the same values).
inline void transposeSliver(const __m512 *rows, float *out) {
  static_assert(kMR >= 8, "the transposer works on eight rows");
  for (int64_t r0 = 0; r0 < kMR; r0 += 8) {
    int64_t base = std::min<int64_t>(r0, kMR - 8);
    Transpose8x16::apply(rows + base, out + base, kMR);
  }
}
#endif

/// How far ahead (in floats) the transposing packers prefetch each row they
/// stream. Their rows are usually a large operand read once from memory
/// (a weight gradient's dy), eight rows at a time: without prefetches only
/// eight cache lines are in flight per thread, and the packing waits on
/// memory latency.
#ifndef ALEXC_GEMM_PACK_AHEAD
#define ALEXC_GEMM_PACK_AHEAD 128
#endif
constexpr int64_t kPackAhead = ALEXC_GEMM_PACK_AHEAD; // 0: no prefetches

/// Packs rows [i0, i0 + mc) x columns [k0, k0 + kc) of A into MR-row
/// slivers, zero-padded.
inline void packA(MatView A, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                  float *out) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    int64_t mr = std::min(kMR, mc - ir);
    int64_t k = 0;
#ifdef __AVX512F__
    // Rows contiguous along k: transpose 16 columns at a time.
    if (mr == kMR && A.cs == 1)
      for (; k + 16 <= kc; k += 16) {
        __m512 rows[kMR];
        for (int64_t r = 0; r < kMR; ++r) {
          const float *src = A.data + (i0 + ir + r) * A.rs + k0 + k;
          if (kPackAhead)
            _mm_prefetch(reinterpret_cast<const char *>(src + kPackAhead),
                         _MM_HINT_T0);
          rows[r] = _mm512_loadu_ps(src);
        }
        transposeSliver(rows, out + k * kMR);
      }
    out += k * kMR;
#endif
    for (; k < kc; ++k) {
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
    int64_t k = 0;
#ifdef __AVX512F__
    // Columns contiguous along k (a transposed operand): transpose eight
    // columns by 16 rows at a time.
    if (nr == kNR && B.rs == 1 && B.cs != 1)
      for (; k + 16 <= kc; k += 16)
        for (int64_t jb = 0; jb < kNR; jb += 8) {
          const float *src = B.data + k0 + k + (j0 + jr + jb) * B.cs;
          for (int c = 0; c < 8 && kPackAhead; ++c)
            _mm_prefetch(
                reinterpret_cast<const char *>(src + c * B.cs + kPackAhead),
                _MM_HINT_T0);
          Transpose8x16::apply(src, B.cs, out + k * kNR + jb, kNR);
        }
    out += k * kNR;
#endif
    for (; k < kc; ++k) {
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

/// Packing buffers (per thread, or per prepacked operand), 64-byte aligned:
/// a 64-byte vector load from an unaligned address splits across two cache
/// lines and halves the micro-kernel's speed.
struct PackBuffer {
  std::vector<float> storage;
  float *get(size_t n) {
    if (storage.size() < n + 16)
      storage.resize(n + 16);
    auto addr = reinterpret_cast<uintptr_t>(storage.data());
    return reinterpret_cast<float *>((addr + 63) & ~uintptr_t(63));
  }
};

// Operand packers. The GEMM below asks an A packer for the MR-row slivers of
// rows [i0, i0 + mc) x columns [k0, k0 + kc) and a B packer for the NR-column
// slivers of rows [k0, k0 + kc) x columns [j0, j0 + nc), in absolute
// coordinates. A packer writes them into `buffer` and returns it, or returns
// data it packed earlier. Convolutions supply packers that read the image
// directly (Kernels.h), so no im2col matrix is ever written.

/// A strided matrix as the A operand.
struct StridedA {
  MatView view;
  const float *operator()(int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                          float *buffer) const {
    packA(view, i0, mc, k0, kc, buffer);
    return buffer;
  }
};

/// A strided matrix as the B operand.
struct StridedB {
  MatView view;
  const float *operator()(int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                          float *buffer) const {
    packB(view, k0, kc, j0, nc, buffer);
    return buffer;
  }
};

/// An A operand packed once for every block the GEMM will ask for (a
/// convolution's weights, shared by all images and threads). Layout: one
/// region of paddedRows x kc per KC block of columns, MR-row slivers inside.
struct PrepackedA {
  PackBuffer storage;
  float *data = nullptr;
  int64_t paddedRows = 0;

  void pack(int64_t M, int64_t K, MatView A) {
    packAt(storage.get(size_t(floatsFor(M, K))), M, K, A);
  }
  /// Floats the packed M x K operand takes.
  static int64_t floatsFor(int64_t M, int64_t K) {
    return (M + kMR - 1) / kMR * kMR * K;
  }
  /// Packs into `where` (64-byte aligned, floatsFor(M, K) floats, owned by
  /// the caller) instead of the operand's own storage.
  void packAt(float *where, int64_t M, int64_t K, MatView A) {
    paddedRows = (M + kMR - 1) / kMR * kMR;
    data = where;
    int64_t blocks = (K + kKC - 1) / kKC;
#pragma omp parallel for schedule(static) if (maxThreads() > 1)
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t k0 = b * kKC, kc = std::min(kKC, K - k0);
      packA(A, 0, M, k0, kc, data + k0 * paddedRows);
    }
  }
  const float *operator()(int64_t i0, int64_t, int64_t k0, int64_t kc,
                          float *) const {
    return data + k0 * paddedRows + i0 * kc;
  }
};

/// Single-threaded C[i][j] (+)= sum_k A[i][k] * B[k][j] (+ rowBias[i]) over
/// rows [m0, m0 + M) and columns [n0, n0 + N) of the whole problem, whose
/// shared dimension is K. C points at element (0, 0) of the whole C, which is
/// row-major with leading dimension ldc. rowBias (when set) is added when C
/// is first written (not when accumulating).
template <typename PackerA, typename PackerB>
void gemmBlock(int64_t m0, int64_t M, int64_t n0, int64_t N, int64_t K,
               const PackerA &packerA, const PackerB &packerB, float *C,
               int64_t ldc, bool accumulate, const float *rowBias = nullptr) {
  static thread_local PackBuffer apackBuffer, bpackBuffer;
  float *apack = apackBuffer.get((kMC + kMR - 1) / kMR * kMR * kKC);
  float *bpack =
      bpackBuffer.get(kKC * ((std::min(N, kNC) + kNR - 1) / kNR * kNR));
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = m0; i < m0 + M; ++i)
        for (int64_t j = n0; j < n0 + N; ++j)
          C[i * ldc + j] = rowBias ? rowBias[i] : 0.f;
    return;
  }
  alignas(64) float tile[kMR * kNR];
  // With a single block of rows (the dense layers' M = batch), each packed
  // B panel serves few micro-kernels and C's block is M x NC: narrower
  // panels keep both in L2.
  int64_t ncMax = M <= kMC ? kNCSingleBlock : kNC;
  for (int64_t jc = 0; jc < N; jc += ncMax) {
    int64_t nc = std::min(ncMax, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      int64_t kc = std::min(kKC, K - pc);
      bool acc = accumulate || pc > 0;
      const float *bp0 = packerB(pc, kc, n0 + jc, nc, bpack);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        int64_t mc = std::min(kMC, M - ic);
        const float *ap0 = packerA(m0 + ic, mc, pc, kc, apack);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          int64_t nr = std::min(kNR, nc - jr);
          const float *bp = bp0 + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            int64_t mr = std::min(kMR, mc - ir);
            const float *ap = ap0 + ir * kc;
            int64_t row = m0 + ic + ir;
            float *c = C + row * ldc + n0 + jc + jr;
            if (mr == kMR && nr == kNR) {
              if (!acc && rowBias) {
                for (int i = 0; i < kMR; ++i) {
                  v16 bias = v16{} + rowBias[row + i];
                  storev(c + i * ldc, bias);
                  storev(c + i * ldc + 16, bias);
                }
                microKernel(kc, ap, bp, c, ldc, true);
              } else {
                microKernel(kc, ap, bp, c, ldc, acc);
              }
              continue;
            }
            microKernel(kc, ap, bp, tile, kNR, false);
            for (int64_t i = 0; i < mr; ++i) {
              float base = rowBias ? rowBias[row + i] : 0.f;
              for (int64_t j = 0; j < nr; ++j)
                c[i * ldc + j] =
                    (acc ? c[i * ldc + j] : base) + tile[i * kNR + j];
            }
          }
        }
      }
    }
  }
}

/// gemmBlock over the whole problem, split between the threads of a new
/// parallel region (by columns when N is wide enough, else by rows) unless
/// `parallel` is false or we are already inside one.
template <typename PackerA, typename PackerB>
void gemmWith(bool parallel, int64_t M, int64_t N, int64_t K,
              const PackerA &packerA, const PackerB &packerB, float *C,
              int64_t ldc, bool accumulate, const float *rowBias = nullptr) {
  int threads = parallel ? maxThreads() : 1;
  if (threads <= 1 || (M < 2 * kMR && N < 2 * kNR)) {
    gemmBlock(0, M, 0, N, K, packerA, packerB, C, ldc, accumulate, rowBias);
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
        gemmBlock(0, M, begin, end - begin, K, packerA, packerB, C, ldc,
                  accumulate, rowBias);
      else
        gemmBlock(begin, end - begin, 0, N, K, packerA, packerB, C, ldc,
                  accumulate, rowBias);
    }
  }
}

/// C = A * B (+ C when accumulate) on one thread.
inline void gemm(int64_t M, int64_t N, int64_t K, MatView A, MatView B,
                 float *C, int64_t ldc, bool accumulate) {
  gemmWith(false, M, N, K, StridedA{A}, StridedB{B}, C, ldc, accumulate);
}

/// C = A * B (+ C when accumulate) on all threads.
inline void gemmParallel(int64_t M, int64_t N, int64_t K, MatView A, MatView B,
                         float *C, int64_t ldc, bool accumulate) {
  gemmWith(true, M, N, K, StridedA{A}, StridedB{B}, C, ldc, accumulate);
}

} // namespace alexc::cpu

#endif
