//===- Locations.cpp - Where each value of a planned function lives -------===//
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"

using namespace mlir;

namespace alexc::codegen {

std::string cppElementType(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getElementType().isInteger(32) ? "int32_t" : "float";
}

FunctionLocations::FunctionLocations(func::FuncOp func) : func(func) {
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments())
    locations[arg] = {isa<RankedTensorType>(arg.getType())
                          ? ValueLocation::Argument
                          : ValueLocation::Scalar,
                      arg.getArgNumber()};
  Operation *ret = body.getTerminator();
  for (Operation &op : body) {
    if (auto view = dyn_cast<kernel::ViewOp>(op)) {
      locations[view.getResult()] = locations.lookup(view.getInput());
      continue;
    }
    auto launch = dyn_cast<kernel::LaunchOp>(op);
    if (!launch)
      continue;
    auto inplace = launch.getInplaceAttr();
    auto offsets = launch.getOffsetsAttr();
    for (auto [i, r] : llvm::enumerate(launch.getResults())) {
      if (inplace && inplace[i] >= 0) {
        locations[r] = locations.lookup(launch.getInputs()[inplace[i]]);
        continue;
      }
      // A value the function returns goes straight to the caller's buffer.
      std::optional<int64_t> resultIndex;
      for (OpOperand &use : r.getUses())
        if (use.getOwner() == ret)
          resultIndex = use.getOperandNumber();
      bool persistent =
          launch.getResultPlacement(i) == kernel::Placement::Persistent;
      if (resultIndex && persistent)
        locations[r] = {ValueLocation::Result, *resultIndex};
      else
        locations[r] = {persistent ? ValueLocation::Persistent
                                   : ValueLocation::Arena,
                        offsets ? offsets[i] : 0};
    }
  }
}

Value FunctionLocations::outer(Value v) const {
  if (auto arg = dyn_cast<BlockArgument>(v))
    if (auto launch = dyn_cast<kernel::LaunchOp>(arg.getOwner()->getParentOp()))
      return launch.getInputs()[arg.getArgNumber()];
  if (auto res = dyn_cast<OpResult>(v))
    if (auto launch = dyn_cast<kernel::LaunchOp>(res.getOwner()->getParentOp()))
      for (OpOperand &use : res.getUses())
        if (isa<kernel::YieldOp>(use.getOwner()))
          return launch.getResult(use.getOperandNumber());
  return v;
}

std::optional<ValueLocation> FunctionLocations::lookup(Value v) const {
  auto it = locations.find(outer(v));
  if (it == locations.end())
    return std::nullopt;
  return it->second;
}

std::string FunctionLocations::pointer(Value v) const {
  auto loc = lookup(v);
  if (!loc)
    return "nullptr /* no storage */";
  std::string type = cppElementType(v.getType());
  std::string idx = std::to_string(loc->index);
  switch (loc->kind) {
  case ValueLocation::Argument:
    return "static_cast<" + type + " *>(f.args[" + idx + "])";
  case ValueLocation::Result:
    return "static_cast<" + type + " *>(f.results[" + idx + "])";
  case ValueLocation::Arena:
    return "reinterpret_cast<" + type + " *>(f.arena + " + idx + ")";
  case ValueLocation::Persistent:
    return "reinterpret_cast<" + type + " *>(f.persistent + " + idx + ")";
  case ValueLocation::Scalar:
    return scalar(v);
  }
  return "nullptr";
}

std::string FunctionLocations::scalar(Value v) const {
  auto loc = lookup(v);
  if (!loc || loc->kind != ValueLocation::Scalar)
    return "0 /* not a scalar */";
  auto name = const_cast<func::FuncOp &>(func).getArgAttrOfType<StringAttr>(
      loc->index, "nn.name");
  StringRef n = name ? name.getValue() : "";
  if (n == "lr")
    return "f.lr";
  if (n == "seed")
    return "f.seed";
  if (n == "step")
    return "f.step";
  return "0 /* unknown scalar */";
}

} // namespace alexc::codegen
