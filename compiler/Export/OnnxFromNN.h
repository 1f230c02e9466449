//===- OnnxFromNN.h - The forward graph as an ONNX graph -------*- C++ -*-===//
//
// alexc SPEC --emit=onnx --weights FILE: the shape-inferred @forward
// function, with the trained tensors of FILE as initializers, as the ONNX
// operators that compute the same (batch norm with the running statistics,
// dropout as the identity: the evaluation step's semantics).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_EXPORT_ONNXFROMNN_H
#define ALEXC_EXPORT_ONNXFROMNN_H

#include "Export/OnnxGraph.h"
#include "runtime/train/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace alexc::onnx_export {

/// Fills `graph` from `module` (after nn-shape-inference) and `weights`
/// (read from `weightsPath`). False and `error` when a tensor is missing
/// or has another shape, or an op has no ONNX form.
bool buildOnnxGraph(mlir::ModuleOp module, const rt::Safetensors &weights,
                    const std::string &weightsPath, OnnxGraph &graph,
                    std::string &error);

} // namespace alexc::onnx_export

#endif
