//===- Locations.cpp - Where each value of a planned function lives -------===//
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/StepSignature.h"

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
  llvm::SmallVector<std::pair<kernel::LaunchOp, unsigned>> slices;
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
      if (launch.getResultPlacement(i) == kernel::Placement::Slice) {
        slices.push_back({launch, unsigned(i)});
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
  // Slices, once their concats are placed (they come later).
  for (auto [launch, i] : slices) {
    auto type = cast<RankedTensorType>(launch->getResult(i).getType());
    kernel::LaunchOp owner = launch.getSliceOwner(i);
    auto whole = cast<RankedTensorType>(owner->getResult(0).getType());
    ValueLocation loc = locations.lookup(owner->getResult(0));
    loc.elementOffset = launch.getSliceRowOffset(i);
    loc.rowElements = type.getNumElements() / type.getDimSize(0);
    loc.rowStride = whole.getNumElements() / whole.getDimSize(0);
    locations[launch->getResult(i)] = loc;
  }
}

std::string ValueLocation::elementIndex(const std::string &i) const {
  if (!isSlice())
    return i;
  return "alexc::abi::sliceElement(" + i + ", " + std::to_string(rowElements) +
         ", " + std::to_string(rowStride) + ")";
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
  std::string base;
  switch (loc->kind) {
  case ValueLocation::Argument:
    base = "static_cast<" + type + " *>(f.args[" + idx + "])";
    break;
  case ValueLocation::Result:
    base = "static_cast<" + type + " *>(f.results[" + idx + "])";
    break;
  case ValueLocation::Arena:
    base = "reinterpret_cast<" + type + " *>(f.arena + " + idx + ")";
    break;
  case ValueLocation::Persistent:
    base = "reinterpret_cast<" + type + " *>(f.persistent + " + idx + ")";
    break;
  case ValueLocation::Scalar:
    return scalar(v);
  }
  if (loc->elementOffset)
    return "(" + base + " + " + std::to_string(loc->elementOffset) + ")";
  return base;
}

std::string FunctionLocations::element(Value v, const std::string &i) const {
  auto loc = lookup(v);
  return "(" + pointer(v) + ")[" + (loc ? loc->elementIndex(i) : i) + "]";
}

bool FunctionLocations::isSlice(Value v) const {
  auto loc = lookup(v);
  return loc && loc->isSlice();
}

std::string FunctionLocations::scalar(Value v) const {
  auto loc = lookup(v);
  if (!loc || loc->kind != ValueLocation::Scalar)
    return "0 /* not a scalar */";
  auto name = const_cast<func::FuncOp &>(func).getArgAttrOfType<StringAttr>(
      loc->index, nn::step::kNameAttr);
  StringRef n = name ? name.getValue() : "";
  if (n == nn::step::kLearningRate)
    return "f.lr";
  if (n == nn::step::kSeed)
    return "f.seed";
  if (n == nn::step::kStep)
    return "f.step";
  return "0 /* unknown scalar */";
}

} // namespace alexc::codegen
