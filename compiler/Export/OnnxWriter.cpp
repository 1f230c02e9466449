//===- OnnxWriter.cpp - OnnxGraph to an ONNX ModelProto ---------------===//
//
// Builds the protobuf with the ONNX schema Debian's libonnx-dev ships, then
// lets ONNX itself judge it: the checker, and strict shape inference whose
// shapes must equal alexc's for every value.
//
//===----------------------------------------------------------------------===//
#include "Export/OnnxGraph.h"

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <exception>
#include <unordered_map>

namespace alexc::onnx_export {
namespace {

void setTensorType(onnx::ValueInfoProto &info, const OnnxValue &value) {
  info.set_name(value.name);
  auto *tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto *shape = tensor->mutable_shape();
  for (int64_t d : value.shape) {
    auto *dim = shape->add_dim();
    if (d == kBatchDim)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

void addAttribute(onnx::NodeProto &node, const OnnxAttribute &a) {
  auto *attr = node.add_attribute();
  attr->set_name(a.name);
  switch (a.kind) {
  case OnnxAttribute::Kind::Int:
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(a.i);
    break;
  case OnnxAttribute::Kind::Float:
    attr->set_type(onnx::AttributeProto::FLOAT);
    attr->set_f(a.f);
    break;
  case OnnxAttribute::Kind::Ints:
    attr->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : a.ints)
      attr->add_ints(v);
    break;
  }
}

void addInitializer(onnx::GraphProto &graph, const OnnxInitializer &init) {
  auto *tensor = graph.add_initializer();
  tensor->set_name(init.name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : init.shape)
    tensor->add_dims(d);
  // raw_data is little-endian float32, as the host's floats are.
  tensor->set_raw_data(init.data.data(), init.data.size() * sizeof(float));
}

onnx::ModelProto buildModel(const OnnxGraph &g, const std::string &producer) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("alexc");
  model.set_producer_version(producer);
  model.set_doc_string(g.docString);
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto &[key, value] : g.metadata) {
    auto *prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(g.name);
  for (const OnnxValue &v : g.inputs)
    setTensorType(*graph.add_input(), v);
  for (const OnnxValue &v : g.outputs)
    setTensorType(*graph.add_output(), v);
  for (const OnnxInitializer &init : g.initializers)
    addInitializer(graph, init);
  for (const OnnxNode &n : g.nodes) {
    auto *node = graph.add_node();
    node->set_op_type(n.opType);
    node->set_name(n.name);
    for (const std::string &in : n.inputs)
      node->add_input(in);
    for (const std::string &out : n.outputs)
      node->add_output(out);
    for (const OnnxAttribute &a : n.attributes)
      addAttribute(*node, a);
  }
  return model;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") +
         (shape[i] == kBatchDim ? std::string("N") : std::to_string(shape[i]));
  return s + "]";
}

/// Every value ONNX inferred has the shape alexc inferred.
bool compareShapes(const onnx::ModelProto &model, const OnnxGraph &g,
                   std::string &error) {
  std::unordered_map<std::string, std::vector<int64_t>> inferred;
  auto collect = [&](const onnx::ValueInfoProto &info) {
    std::vector<int64_t> shape;
    for (const auto &dim : info.type().tensor_type().shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : kBatchDim);
    inferred[info.name()] = shape;
  };
  for (const auto &info : model.graph().value_info())
    collect(info);
  for (const auto &info : model.graph().output())
    collect(info);
  for (const OnnxValue &v : g.valueShapes) {
    auto it = inferred.find(v.name);
    if (it == inferred.end()) {
      error = "ONNX shape inference left '" + v.name + "' without a shape";
      return false;
    }
    if (it->second != v.shape) {
      error = "ONNX infers " + formatShape(it->second) + " for '" + v.name +
              "', alexc " + formatShape(v.shape);
      return false;
    }
  }
  return true;
}

} // namespace

bool writeOnnxModel(const OnnxGraph &graph, const std::string &producer,
                    std::string &bytes, std::string &error) {
  onnx::ModelProto model = buildModel(graph, producer);
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::ShapeInferenceOptions strict(/*check_type=*/true,
                                       /*strict_mode=*/1);
    onnx::shape_inference::InferShapes(
        inferred, onnx::OpSchemaRegistry::Instance(), strict);
    if (!compareShapes(inferred, graph, error))
      return false;
  } catch (const std::exception &e) {
    error = std::string("the ONNX checker rejects the model: ") + e.what();
    return false;
  }
  if (!model.SerializeToString(&bytes)) {
    error = "the model does not serialize (over protobuf's 2 GB limit?)";
    return false;
  }
  return true;
}

} // namespace alexc::onnx_export
