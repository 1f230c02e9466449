//===- Main.cpp - main() of a compiled training executable ----------------===//
#include "runtime/gpu/CudaHalf.h"
#include "runtime/train/CpuExecutor.h"
#include "runtime/train/Trainer.h"

#include <cstdio>
#include <cstring>
#include <exception>

/// Trains with the executor --device picks.
static int train(int argc, char **argv, const alexc::rt::ModelDescriptor &model,
                 const alexc::rt::ModelConfig &config) {
  return alexc::rt::trainMain(
      argc, argv, config,
      [&](const std::string &device, const alexc::rt::DeviceOptions &options,
          std::string &error) -> std::unique_ptr<alexc::rt::Executor> {
        if (device == "cpu") {
          try {
            return alexc::rt::createCpuExecutor(model);
          } catch (const std::exception &e) {
            error = e.what();
            return nullptr;
          }
        }
        const alexc::rt::CudaHalf *cuda = alexc::rt::openCudaHalf(error);
        if (!cuda)
          return nullptr;
        const char *message = "";
        alexc::rt::Executor *ex = cuda->createExecutor(
            options.gemm.c_str(), options.variants.c_str(),
            options.precision.c_str(), options.tuningCache.c_str(),
            options.deterministic ? 1 : 0, &message);
        if (!ex)
          error = message;
        return std::unique_ptr<alexc::rt::Executor>(ex);
      });
}

int main(int argc, char **argv) {
  const alexc::rt::ModelDescriptor *model = alexc_model();
  if (model->abiVersion != alexc::rt::kModelAbiVersion) {
    std::fprintf(stderr, "error: model ABI %d, runtime ABI %d\n",
                 model->abiVersion, alexc::rt::kModelAbiVersion);
    return 1;
  }
  // Every CUDA kernel against its CPU twin, on random inputs:
  // --check-kernels [--precision fp32|tf32].
  if (argc >= 2 && !std::strcmp(argv[1], "--check-kernels")) {
    const char *precision = "tf32";
    if (argc == 4 && !std::strcmp(argv[2], "--precision") &&
        alexc::rt::isPrecisionName(argv[3])) {
      precision = argv[3];
    } else if (argc != 2) {
      std::fprintf(stderr,
                   "usage: %s --check-kernels [--precision "
                   "fp32|tf32]\n",
                   argv[0]);
      return 2;
    }
    std::string error;
    const alexc::rt::CudaHalf *cuda = alexc::rt::openCudaHalf(error);
    if (!cuda) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return 1;
    }
    return cuda->checkKernels(precision);
  }
  alexc::rt::ModelConfig config = alexc::rt::configFromDescriptor(*model);
  config.hasCuda = alexc::rt::hasCudaHalf();
  // Out of memory anywhere (the data, the buffers) is one clear line.
  try {
    return train(argc, argv, *model, config);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "error: out of memory (the model's buffers and the "
                         "data set do not fit; a smaller --batch-size in "
                         "alexc, or --limit-train, needs less)\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  }
  return 1;
}
