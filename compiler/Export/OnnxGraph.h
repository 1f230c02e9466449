//===- OnnxGraph.h - An ONNX graph as plain data ---------------*- C++ -*-===//
//
// What the exporter builds from the nn dialect and the ONNX writer turns
// into a ModelProto. Kept free of MLIR and protobuf types: the writer is
// compiled with exceptions and RTTI (ONNX's checker throws), the rest of
// the compiler without them, as LLVM is.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_EXPORT_ONNXGRAPH_H
#define ALEXC_EXPORT_ONNXGRAPH_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace alexc::onnx_export {

/// The batch dimension in shapes: symbolic ("N") in the exported model.
constexpr int64_t kBatchDim = -1;

struct OnnxAttribute {
  enum class Kind { Int, Float, Ints };
  std::string name;
  Kind kind = Kind::Int;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
};

struct OnnxNode {
  std::string opType, name;
  std::vector<std::string> inputs, outputs;
  std::vector<OnnxAttribute> attributes;
};

/// A float32 tensor stored in the model (a trained weight).
struct OnnxInitializer {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// A named float32 value and its shape (kBatchDim for the batch).
struct OnnxValue {
  std::string name;
  std::vector<int64_t> shape;
};

struct OnnxGraph {
  std::string name, docString;
  std::vector<OnnxValue> inputs, outputs;
  std::vector<OnnxNode> nodes;
  std::vector<OnnxInitializer> initializers;
  /// The shape alexc inferred for every value a node produces: the writer
  /// checks ONNX's own shape inference against it.
  std::vector<OnnxValue> valueShapes;
  std::map<std::string, std::string> metadata;
};

/// The opset the exporter writes (ONNX 1.12's newest).
constexpr int64_t kOnnxOpset = 17;

/// Serializes `graph` as an ONNX model after ONNX's checker and shape
/// inference accept it and agree with every shape in `valueShapes`.
/// False (and `error`) otherwise, or when alexc was built without ONNX.
bool writeOnnxModel(const OnnxGraph &graph, const std::string &producer,
                    std::string &bytes, std::string &error);

} // namespace alexc::onnx_export

#endif
