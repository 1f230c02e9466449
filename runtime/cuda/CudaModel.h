//===- CudaModel.h - What a model's generated CUDA code exposes -----------===//
//
// The CUDA half of a compiled model: for each step function, the kernels in
// plan order (the same plan, offsets and names as the CPU half), each a host
// function that launches its CUDA kernels on the frame's stream. Kernels
// with a GEMM inside have several variants: 0, generated tiled kernels; 1,
// cuBLAS; 2 (convolutions), cuDNN.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CUDAMODEL_H
#define ALEXC_RUNTIME_CUDA_CUDAMODEL_H

#include "runtime/abi/Model.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace alexc::rt {

/// The per-step scalars, in device memory so that a captured CUDA graph
/// reads the current values on every replay.
struct StepScalars {
  float lr;
  int32_t dropout;
  uint64_t seed;
  uint64_t step;
  int64_t rows; // the step's rows holding examples (0: all)
  // Data-parallel ranks: the global batch's rows (the loss's divisor; 0:
  // this step's labelled rows) and this rank's first row in it (dropout
  // masks are keyed by the global row).
  int64_t lossRows = 0, rowOffset = 0;
};

/// The lowest precision the library GEMMs and convolutions may compute in
/// (`--precision`), like PyTorch's float32_matmul_precision "highest",
/// "high" and "medium". Tensors stay fp32 and sums are accumulated in fp32;
/// only the multiplications' inputs are rounded. The generated kernels
/// always compute in fp32.
enum MathPrecision : int32_t {
  kMathFp32 = 0, // no tensor cores
  kMathTf32 = 1, // cuBLAS and cuDNN on TF32 tensor cores (the default)
};

/// `--precision` names (fp32, tf32); anything else is tf32, the default
/// (the trainer refuses other names before this).
inline MathPrecision precisionNamed(const char *name) {
  std::string n = name ? name : "";
  return n == "fp32" ? kMathFp32 : kMathTf32;
}
inline const char *precisionName(int32_t p) {
  return p == kMathFp32 ? "fp32" : "tf32";
}

struct CudaFrame {
  void *const *args;    // device pointers, one per function argument
  void *const *results; // device pointers, one per function result
  uint8_t *arena;
  uint8_t *persistent;
  const StepScalars *sc; // device
  void *stream;          // cudaStream_t
  void *cublas;          // cublasHandle_t
  float *scratch;        // for the cuBLAS variants (im2col columns)
  void *cudnn;           // cudnnHandle_t
  void *workspace;       // for cuDNN
  size_t workspaceBytes;
  int32_t precision;      // MathPrecision
  void *tuning = nullptr; // rt::TuningCache: measured choices kept on disk
  // --deterministic: reductions in a fixed order (no atomics) and
  // deterministic cuDNN algorithms only.
  int32_t deterministic = 0;
  // Data-parallel ranks: the hooks that sum completed gradients (NCCL on
  // the frame's stream); null on one rank.
  const GradientSync *sync = nullptr;
};

typedef void (*CudaKernelFn)(const CudaFrame &, int variant);

struct CudaKernelInfo {
  const char *name;
  const char *kind;
  double flops;
  int32_t numVariants; // 1; 2 with cuBLAS; 3 with cuBLAS and cuDNN
  CudaKernelFn run;
};

} // namespace alexc::rt

namespace alexc::cuda {

struct CudaFunction {
  const char *name;
  int32_t numKernels;
  const rt::CudaKernelInfo *kernels;
  int64_t scratchBytes; // largest scratch any cuBLAS variant needs
  void (*finish)(const rt::CudaFrame &); // copies results computed elsewhere
};

struct CudaProgram {
  int32_t numFunctions;
  const CudaFunction *functions;
};

} // namespace alexc::cuda

extern "C" const alexc::cuda::CudaProgram *alexc_cuda_program();

#endif
