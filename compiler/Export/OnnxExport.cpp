//===- OnnxExport.cpp - alexc SPEC --emit=onnx --weights FILE -------------===//
#include "Export/OnnxExport.h"
#include "Export/OnnxFromNN.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>

namespace alexc::onnx_export {

bool exportOnnxModel(mlir::ModuleOp module, const ModelSpec &spec,
                     const std::string &specHash,
                     const std::string &weightsPath,
                     const std::string &outputPath, std::string &error) {
  rt::Safetensors weights;
  OnnxGraph graph;
  if (!rt::readSafetensors(weightsPath, weights, error) ||
      !buildOnnxGraph(module, weights, weightsPath, graph, error))
    return false;
  auto saved = weights.metadata.find("spec_hash");
  if (saved != weights.metadata.end() && saved->second != specHash)
    llvm::errs() << "alexc: note: " << weightsPath
                 << " was saved by another spec; its tensors are taken by "
                    "name\n";
  graph.docString = "alexc " + spec.sourcePath + " with the weights of " +
                    weightsPath +
                    ". Input 'images': N x C x H x W float32, pixels / 255, "
                    "resized bilinearly to the model's size as in training. "
                    "Output 'logits': N x classes, before softmax.";
  graph.metadata = {{"alexc.spec_hash", specHash}, {"alexc.model", spec.name}};
  std::string bytes;
  if (!writeOnnxModel(graph, ALEXC_VERSION, bytes, error)) {
    error = "--emit=onnx: " + error;
    return false;
  }
  std::ofstream out(outputPath, std::ios::binary);
  if (!out.write(bytes.data(), std::streamsize(bytes.size())) || !out.flush()) {
    error = outputPath + ": cannot write the ONNX model";
    return false;
  }
  llvm::errs() << "alexc: wrote " << outputPath << " (ONNX opset " << kOnnxOpset
               << ", " << graph.nodes.size() << " nodes, "
               << graph.initializers.size() << " tensors, "
               << llvm::format("%.1f", bytes.size() / 1e6) << " MB)\n";
  return true;
}

} // namespace alexc::onnx_export
