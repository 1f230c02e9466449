//===- ConcatSlices.cpp - Concat inputs written in place ------------------===//
//
// A concat copies each input into its range of dimension 1. Where the
// input's producer stores it from its fused epilogue (element by element)
// and every other reader reads it there too, the producer can store it
// straight into the concat's buffer instead: row n of the input goes to
// row n of the concat at the input's offset. The concat then copies
// nothing and the input needs no buffer of its own (GoogLeNet's branches,
// DenseNet's new features).
//
//===----------------------------------------------------------------------===//
#include "Dialect/Kernel/Transforms/ConcatSlices.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace alexc::kernel {
namespace {

/// Whether `producer` stores its one result from its epilogue: an anchor
/// whose result the fused chain continues, or a standalone elementwise
/// kernel; not one that overwrites an input.
bool storesByElement(LaunchOp producer) {
  if (producer.getNumResults() != 1)
    return false;
  if (auto inplace = producer.getInplaceAttr(); inplace && inplace[0] >= 0)
    return false;
  switch (producer.getKind()) {
  case nn::KernelKind::Conv:
  case nn::KernelKind::Gemm:
  case nn::KernelKind::Pool:
  case nn::KernelKind::Norm:
  case nn::KernelKind::Elementwise:
    break;
  default:
    return false;
  }
  auto anchor = dyn_cast<nn::KernelOp>(producer.getAnchor());
  return !anchor || !anchor.isParameterGradient();
}

/// Whether `user` reads `v` only element by element in its fused chain:
/// as an extra operand of an elementwise op, never as what its anchor
/// computes from, nor as the start of a standalone chain, nor overwritten.
bool readsByElement(LaunchOp user, Value v) {
  if (user.getKind() == nn::KernelKind::Copy ||
      user.getKind() == nn::KernelKind::Optimizer)
    return false;
  auto inplace = user.getInplaceAttr();
  Operation *anchor = user.getAnchor();
  bool standalone = user.getKind() == nn::KernelKind::Elementwise;
  for (auto [j, input] : llvm::enumerate(user.getInputs())) {
    if (input != v)
      continue;
    if (inplace && llvm::is_contained(inplace.asArrayRef(), int64_t(j)))
      return false;
    BlockArgument arg = user.getBlock().getArgument(j);
    for (Operation *op : arg.getUsers()) {
      auto k = dyn_cast<nn::KernelOp>(op);
      if (!k || k.getChainOperands().empty())
        return false; // not an elementwise op (or a yield, a view)
      if (op == anchor && (!standalone || nn::chainInput(anchor) == arg))
        return false;
    }
  }
  return true;
}

/// Whether input `v` of `concat` can be written in place by its producer.
bool canWriteInPlace(LaunchOp concat, Value v) {
  auto producer = v.getDefiningOp<LaunchOp>();
  if (!producer || !storesByElement(producer) || isConcatSlice(v) ||
      llvm::count(concat.getInputs(), v) != 1)
    return false;
  for (Operation *user : v.getUsers()) {
    if (user == concat.getOperation())
      continue;
    auto launch = dyn_cast<LaunchOp>(user);
    if (!launch || !readsByElement(launch, v))
      return false;
  }
  return true;
}

/// Whether the concat's own buffer can hold its inputs: it is not returned
/// (a caller's buffer may be absent) and no kernel overwrites it.
bool canHoldSlices(LaunchOp concat) {
  Value whole = concat->getResult(0);
  for (OpOperand &use : whole.getUses()) {
    if (isa<func::ReturnOp>(use.getOwner()))
      return false;
    if (auto user = dyn_cast<LaunchOp>(use.getOwner()))
      if (auto inplace = user.getInplaceAttr();
          inplace && llvm::is_contained(inplace.asArrayRef(),
                                        int64_t(use.getOperandNumber())))
        return false;
  }
  return true;
}

} // namespace

bool isConcatSlice(Value v) {
  auto r = dyn_cast<OpResult>(v);
  auto launch = r ? dyn_cast<LaunchOp>(r.getOwner()) : LaunchOp();
  return launch &&
         launch.getResultPlacement(r.getResultNumber()) == Placement::Slice;
}

int placeConcatSlices(func::FuncOp func) {
  Builder b(func.getContext());
  auto slice =
      b.getArrayAttr({PlacementAttr::get(func.getContext(), Placement::Slice)});
  int placed = 0;
  for (auto concat : func.getBody().front().getOps<LaunchOp>()) {
    if (!isa<nn::ConcatOp>(concat.getAnchor()) || !canHoldSlices(concat))
      continue;
    for (Value v : concat.getInputs())
      if (canWriteInPlace(concat, v)) {
        v.getDefiningOp<LaunchOp>().setPlacementAttr(slice);
        ++placed;
      }
  }
  return placed;
}

} // namespace alexc::kernel
