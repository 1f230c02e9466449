//===- Main.cpp - main() of a compiled training executable ----------------===//
#include "runtime/CpuExecutor.h"
#include "runtime/Trainer.h"

#include <cstdio>

int main(int argc, char **argv) {
  const alexc::rt::ModelDescriptor *model = alexc_model();
  if (model->abiVersion != alexc::rt::kModelAbiVersion) {
    std::fprintf(stderr, "error: model ABI %d, runtime ABI %d\n",
                 model->abiVersion, alexc::rt::kModelAbiVersion);
    return 1;
  }
  alexc::rt::ModelConfig config = alexc::rt::configFromDescriptor(*model);
  return alexc::rt::trainMain(
      argc, argv, config,
      [&](const std::string &device,
          std::string &error) -> std::unique_ptr<alexc::rt::Executor> {
        if (device == "cpu")
          return alexc::rt::createCpuExecutor(*model);
        error = "this executable was built without CUDA code (alexc "
                "--target cuda or all, with nvcc present, adds it)";
        return nullptr;
      });
}
