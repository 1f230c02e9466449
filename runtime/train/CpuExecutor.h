//===- CpuExecutor.h - Runs a model's generated CPU code --------*- C++ -*-===//
#ifndef ALEXC_RUNTIME_CPUEXECUTOR_H
#define ALEXC_RUNTIME_CPUEXECUTOR_H

#include "runtime/abi/Model.h"
#include "runtime/train/Executor.h"

namespace alexc::rt {

/// The model's settings as the training loop wants them.
ModelConfig configFromDescriptor(const ModelDescriptor &model);

std::unique_ptr<Executor> createCpuExecutor(const ModelDescriptor &model);

/// The function of a descriptor with the given name, or null.
const FunctionInfo *findFunction(const ModelDescriptor &model,
                                 const std::string &name);

} // namespace alexc::rt

#endif
