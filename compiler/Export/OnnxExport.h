//===- OnnxExport.h - alexc SPEC --emit=onnx --weights FILE -----*- C++ -*-===//
#ifndef ALEXC_EXPORT_ONNXEXPORT_H
#define ALEXC_EXPORT_ONNXEXPORT_H

#include "Frontend/ModelSpec.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace alexc::onnx_export {

/// Writes the shape-inferred forward graph of `module` with the tensors of
/// `weightsPath` to `outputPath` as an ONNX model, after ONNX's checker and
/// shape inference have judged it; says what it wrote. False (and `error`)
/// on a missing or mismatched tensor, an op without an ONNX form, or a file
/// that cannot be written.
bool exportOnnxModel(mlir::ModuleOp module, const ModelSpec &spec,
                     const std::string &specHash,
                     const std::string &weightsPath,
                     const std::string &outputPath, std::string &error);

} // namespace alexc::onnx_export

#endif
