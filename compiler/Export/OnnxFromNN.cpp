//===- OnnxFromNN.cpp - The forward graph as an ONNX graph ------------===//
#include "Export/OnnxFromNN.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace alexc::onnx_export {
namespace {

using Kind = OnnxAttribute::Kind;

OnnxAttribute ints(const char *name, llvm::ArrayRef<int64_t> values) {
  return {name, Kind::Ints, 0, 0, {values.begin(), values.end()}};
}
OnnxAttribute integer(const char *name, int64_t value) {
  return {name, Kind::Int, value, 0, {}};
}
OnnxAttribute real(const char *name, double value) {
  return {name, Kind::Float, 0, float(value), {}};
}
/// ONNX pads list the starts of every axis, then the ends.
OnnxAttribute pads(llvm::ArrayRef<int64_t> padding) {
  return ints("pads", {padding[0], padding[1], padding[0], padding[1]});
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

class GraphBuilder {
public:
  GraphBuilder(const rt::Safetensors &weights, const std::string &weightsPath,
               OnnxGraph &graph)
      : weights(weights), weightsPath(weightsPath), graph(graph) {}

  bool build(func::FuncOp forward, std::string &error);

private:
  bool addArgument(func::FuncOp forward, BlockArgument arg, std::string &error);
  bool addOp(Operation &op, std::string &error);
  void addBatchNorm(nn::BatchNormOp bn);
  /// A node computing `op`'s result, named after its layer.
  void emit(Operation *op, const char *opType, std::vector<Value> inputs,
            std::vector<OnnxAttribute> attributes = {});
  std::string constant(const std::string &base, int64_t size, float value);
  std::string nodeName(Operation *op, const char *opType);

  /// The batch as ONNX's symbolic N: the model takes any number of images.
  static std::vector<int64_t> batchFree(Type type) {
    auto shape = cast<RankedTensorType>(type).getShape();
    std::vector<int64_t> dims(shape.begin(), shape.end());
    if (!dims.empty())
      dims[0] = kBatchDim;
    return dims;
  }

  const rt::Safetensors &weights;
  const std::string &weightsPath;
  OnnxGraph &graph;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  Value output;
};

bool GraphBuilder::addArgument(func::FuncOp forward, BlockArgument arg,
                               std::string &error) {
  auto nameAttr = forward.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                       nn::step::kNameAttr);
  auto type = dyn_cast<RankedTensorType>(arg.getType());
  if (!nameAttr || !type) // the dropout seed and step
    return true;
  std::string name = nameAttr.getValue().str();
  names[arg] = name;
  if (name == nn::step::kImages) {
    graph.inputs.push_back({name, batchFree(type)});
    return true;
  }
  auto it = weights.tensors.find(name);
  if (it == weights.tensors.end()) {
    error = weightsPath + ": no tensor '" + name + "' (the model's " +
            formatShape(type.getShape()) +
            " tensor): is this a checkpoint of this model?";
    return false;
  }
  if (it->second.shape !=
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end())) {
    error = weightsPath + ": '" + name + "' is " +
            formatShape(it->second.shape) + " in the file, " +
            formatShape(type.getShape()) + " in the model";
    return false;
  }
  graph.initializers.push_back({name, it->second.shape, it->second.toFloat()});
  return true;
}

std::string GraphBuilder::nodeName(Operation *op, const char *opType) {
  auto layer = nn::getLayerInfo(op->getLoc());
  std::string base = layer ? layer->name : std::string(opType);
  std::string name = base;
  if (used.contains(name))
    name = base + "/" + opType;
  for (int i = 2; used.contains(name); ++i)
    name = base + "/" + opType + "_" + std::to_string(i);
  used.insert(name);
  return name;
}

void GraphBuilder::emit(Operation *op, const char *opType,
                        std::vector<Value> inputs,
                        std::vector<OnnxAttribute> attributes) {
  OnnxNode node;
  node.opType = opType;
  node.name = nodeName(op, opType);
  for (Value v : inputs)
    node.inputs.push_back(names.lookup(v));
  Value result = op->getResult(0);
  std::string out = result == output ? "logits" : node.name;
  node.outputs.push_back(out);
  node.attributes = std::move(attributes);
  names[result] = out;
  graph.valueShapes.push_back({out, batchFree(result.getType())});
  graph.nodes.push_back(std::move(node));
}

std::string GraphBuilder::constant(const std::string &base, int64_t size,
                                   float value) {
  graph.initializers.push_back(
      {base, {size}, std::vector<float>(size_t(size), value)});
  return base;
}

/// Inference-mode BatchNormalization (the running statistics); gamma and
/// beta that the spec leaves out are ones and zeros.
void GraphBuilder::addBatchNorm(nn::BatchNormOp bn) {
  int64_t channels =
      cast<RankedTensorType>(bn.getRunningMean().getType()).getShape()[0];
  auto layer = nn::getLayerInfo(bn->getLoc());
  std::string base = layer ? layer->name : "batch_norm";
  emit(bn, "BatchNormalization",
       {bn.getInput(), bn.getGamma(), bn.getBeta(), bn.getRunningMean(),
        bn.getRunningVar()},
       {real("epsilon", bn.getEpsilon().convertToDouble())});
  OnnxNode &node = graph.nodes.back();
  if (!bn.getGamma())
    node.inputs[1] = constant(base + ".weight(ones)", channels, 1.f);
  if (!bn.getBeta())
    node.inputs[2] = constant(base + ".bias(zeros)", channels, 0.f);
}

bool GraphBuilder::addOp(Operation &op, std::string &error) {
  bool known = true;
  llvm::TypeSwitch<Operation *>(&op)
      .Case([&](nn::Conv2DOp c) {
        std::vector<Value> in = {c.getInput(), c.getWeight()};
        if (c.getBias())
          in.push_back(c.getBias());
        auto w = cast<RankedTensorType>(c.getWeight().getType()).getShape();
        emit(c, "Conv", in,
             {ints("kernel_shape", {w[2], w[3]}),
              ints("strides", c.getStrides()), pads(c.getPadding())});
      })
      .Case([&](nn::MaxPool2DOp p) {
        emit(p, "MaxPool", {p.getInput()},
             {ints("kernel_shape", p.getWindow()),
              ints("strides", p.getStrides()), pads(p.getPadding())});
      })
      .Case([&](nn::AvgPool2DOp p) {
        // alexc divides by the whole window, padding included.
        emit(p, "AveragePool", {p.getInput()},
             {ints("kernel_shape", p.getWindow()),
              ints("strides", p.getStrides()), pads(p.getPadding()),
              integer("count_include_pad", 1)});
      })
      .Case([&](nn::DenseOp d) {
        std::vector<Value> in = {d.getInput(), d.getWeight()};
        if (d.getBias())
          in.push_back(d.getBias());
        emit(d, "Gemm", in, {integer("transB", 1)});
      })
      .Case([&](nn::FlattenOp f) {
        emit(f, "Flatten", {f.getInput()}, {integer("axis", 1)});
      })
      .Case([&](nn::ReluOp a) { emit(a, "Relu", {a.getInput()}); })
      .Case([&](nn::SigmoidOp a) { emit(a, "Sigmoid", {a.getInput()}); })
      .Case([&](nn::TanhOp a) { emit(a, "Tanh", {a.getInput()}); })
      .Case([&](nn::DropoutOp d) {
        // Evaluation keeps every element: the input flows through.
        if (d.getResult() == output)
          emit(d, "Identity", {d.getInput()});
        else
          names[d.getResult()] = names.lookup(d.getInput());
      })
      .Case([&](nn::GlobalAvgPool2DOp g) {
        emit(g, "GlobalAveragePool", {g.getInput()});
      })
      .Case([&](nn::AddOp a) {
        emit(a, "Add", {a.getLhs(), a.getRhs()});
      })
      .Case([&](nn::ConcatOp c) {
        std::vector<Value> in(c.getInputs().begin(), c.getInputs().end());
        emit(c, "Concat", in, {integer("axis", 1)});
      })
      .Case([&](nn::BatchNormOp bn) { addBatchNorm(bn); })
      .Case([&](func::ReturnOp) {})
      .Default([&](Operation *other) {
        error = nn::describeLayer(other) + ": '" +
                other->getName().getStringRef().str() +
                "' has no ONNX form in this exporter";
        known = false;
      });
  return known;
}

bool GraphBuilder::build(func::FuncOp forward, std::string &error) {
  auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  output = ret.getOperand(0);
  for (BlockArgument arg : forward.getArguments())
    if (!addArgument(forward, arg, error))
      return false;
  for (Operation &op : forward.getBody().front())
    if (!addOp(op, error))
      return false;
  graph.outputs.push_back({"logits", batchFree(output.getType())});
  return true;
}

} // namespace

bool buildOnnxGraph(ModuleOp module, const rt::Safetensors &weights,
                    const std::string &weightsPath, OnnxGraph &graph,
                    std::string &error) {
  auto forward = module.lookupSymbol<func::FuncOp>(nn::step::kForward);
  if (!forward) {
    error = "the module has no @forward function (export it before "
            "nn-autodiff)";
    return false;
  }
  graph.name = module.getName() ? module.getName()->str() : "model";
  GraphBuilder builder(weights, weightsPath, graph);
  return builder.build(forward, error);
}

} // namespace alexc::onnx_export
