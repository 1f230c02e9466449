//===- Kernels.h - Every CPU kernel the generated code calls --------------===//
//
// The CPU runtime by op family; the generated C++ includes this one header.
// Each family's entry points have the names and leading arguments of the
// CUDA ones (runtime/abi/KernelAbi.h): convForward, convInputGrad,
// convWeightGrad, denseForward, denseInputGrad, denseWeightGrad, biasGrad,
// poolForward<K>, poolInputGrad<K>, softmaxCrossEntropy, applyUpdates,
// fill, elementwise, copyBlocks, batchNormTrain, batchNormInference,
// batchNormGrad.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_KERNELS_H
#define ALEXC_RUNTIME_CPU_KERNELS_H

#include "runtime/abi/KernelAbi.h"
#include "runtime/abi/Select.h"
#include "runtime/cpu/Conv.h"
#include "runtime/cpu/Copy.h"
#include "runtime/cpu/Dense.h"
#include "runtime/cpu/DropoutMask.h"
#include "runtime/cpu/Elementwise.h"
#include "runtime/cpu/Init.h"
#include "runtime/cpu/Loss.h"
#include "runtime/cpu/Norm.h"
#include "runtime/cpu/Optimizer.h"
#include "runtime/cpu/Pool.h"
#include "runtime/cpu/Reduce.h"

#endif
