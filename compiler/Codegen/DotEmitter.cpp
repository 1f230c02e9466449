//===- DotEmitter.cpp - The compiled graph as Graphviz dot ----------------===//
#include "Codegen/DotEmitter.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace alexc::codegen {
namespace {

std::string shapeOf(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  if (!tt)
    return "";
  std::string s;
  for (int64_t d : tt.getShape())
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

std::string escaped(StringRef s) {
  std::string r;
  for (char c : s)
    r += c == '"' ? std::string("\\\"") : std::string(1, c);
  return r;
}

class DotPrinter {
public:
  DotPrinter(func::FuncOp func, raw_ostream &os) : func(func), os(os) {}

  void print() {
    os << "digraph \"" << escaped(func.getSymName()) << "\" {\n"
       << "  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", "
          "fontsize=10];\n";
    Block &body = func.getBody().front();
    for (BlockArgument arg : body.getArguments())
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        nn::step::kNameAttr);
          name && (name.getValue() == nn::step::kImages ||
                   name.getValue() == nn::step::kLabels))
        node(arg, name.getValue().str(), shapeOf(arg.getType()),
             "shape=ellipse");
    int cluster = 0;
    for (Operation &op : body) {
      if (auto launch = dyn_cast<kernel::LaunchOp>(op)) {
        printLaunch(launch, cluster++);
      } else if (auto view = dyn_cast<kernel::ViewOp>(op)) {
        producer[view.getResult()] = producer.lookup(view.getInput());
      }
    }
    for (auto &[from, to] : edges)
      os << "  n" << from << " -> n" << to << ";\n";
    os << "}\n";
  }

private:
  /// A node for value `v` (an op's first result or an argument).
  void node(Value v, const std::string &title, const std::string &shape,
            const std::string &style = "") {
    unsigned id = nodes++;
    producer[v] = id;
    os << "    n" << id << " [label=\"" << escaped(title) << "\\n"
       << shape << "\"" << (style.empty() ? "" : ", " + style) << "];\n";
  }

  void printLaunch(kernel::LaunchOp launch, int cluster) {
    os << "  subgraph cluster_" << cluster << " {\n    label=\""
       << escaped(launch.getName()) << " ("
       << nn::stringifyKernelKind(launch.getKind())
       << ")\";\n    style=rounded; color=gray;\n";
    Block &block = launch.getBlock();
    // Inside the kernel its arguments are its inputs.
    for (auto [arg, input] :
         llvm::zip(block.getArguments(), launch.getInputs()))
      if (auto it = producer.find(input); it != producer.end())
        producer[arg] = it->second;
    for (Operation &op : block.without_terminator()) {
      std::string title = op.getName().stripDialect().str();
      if (auto layer = nn::getLayerInfo(op.getLoc()))
        title = layer->name + ": " + title;
      for (Value operand : op.getOperands())
        if (auto it = producer.find(operand); it != producer.end())
          edges.push_back({it->second, nodes});
      node(op.getResult(0), title, shapeOf(op.getResult(0).getType()));
      for (Value r : op.getResults().drop_front())
        producer[r] = producer[op.getResult(0)];
    }
    os << "  }\n";
    auto yield = cast<kernel::YieldOp>(block.getTerminator());
    for (auto [r, v] : llvm::zip(launch.getResults(), yield.getValues()))
      if (auto it = producer.find(v); it != producer.end())
        producer[r] = it->second;
  }

  func::FuncOp func;
  raw_ostream &os;
  llvm::DenseMap<Value, unsigned> producer;
  std::vector<std::pair<unsigned, unsigned>> edges;
  unsigned nodes = 0;
};

} // namespace

LogicalResult emitDot(ModuleOp module, StringRef name, raw_ostream &os) {
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (!func || func.isExternal())
    return module.emitError() << "--emit=dot: no function @" << name
                              << " (init, train_step, eval_step, gradients)";
  DotPrinter(func, os).print();
  return success();
}

} // namespace alexc::codegen
