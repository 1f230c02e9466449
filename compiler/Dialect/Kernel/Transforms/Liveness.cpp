//===- Liveness.cpp - Buffers and lifetimes of a kernel function ----------===//
#include "Dialect/Kernel/Transforms/Liveness.h"
#include "Dialect/Kernel/IR/KernelOps.h"

using namespace mlir;

namespace alexc::kernel {

int64_t alignedBytes(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return 0;
  int64_t bytes =
      t.getNumElements() * std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

FunctionBuffers computeBuffers(func::FuncOp func) {
  FunctionBuffers fb;
  Block &body = func.getBody().front();
  auto newBuffer = [&](Value v, int64_t start, Placement placement) {
    fb.bufferOf[v] = fb.buffers.size();
    fb.buffers.push_back(
        Buffer{v, start, start, alignedBytes(v.getType()), placement});
  };
  for (BlockArgument arg : body.getArguments())
    if (isa<RankedTensorType>(arg.getType()))
      newBuffer(arg, -1, Placement::Argument);

  int64_t index = 0;
  for (Operation &op : body) {
    // Uses extend the lifetime of the buffer behind each operand.
    for (Value v : op.getOperands())
      if (auto it = fb.bufferOf.find(v); it != fb.bufferOf.end())
        fb.buffers[it->second].end =
            std::max(fb.buffers[it->second].end, index);
    if (auto view = dyn_cast<ViewOp>(op)) {
      fb.bufferOf[view.getResult()] = fb.bufferOf.lookup(view.getInput());
    } else if (auto launch = dyn_cast<LaunchOp>(op)) {
      auto inplace = launch.getInplaceAttr();
      auto offsets = launch.getOffsetsAttr();
      for (auto [i, r] : llvm::enumerate(launch.getResults())) {
        if (inplace && inplace[i] >= 0) {
          fb.bufferOf[r] = fb.bufferOf.lookup(launch.getInputs()[inplace[i]]);
          continue;
        }
        // A slice lives in its concat's buffer, which therefore starts at
        // the first slice written; the concat itself then adds nothing.
        if (launch.getResultPlacement(i) == Placement::Slice) {
          LaunchOp owner = launch.getSliceOwner(i);
          Value whole = owner->getResult(0);
          if (!fb.bufferOf.count(whole)) {
            newBuffer(whole, index, owner.getResultPlacement(0));
            if (auto o = owner.getOffsetsAttr())
              fb.buffers.back().offset = o[0];
          }
          fb.bufferOf[r] = fb.bufferOf.lookup(whole);
          continue;
        }
        if (fb.bufferOf.count(r))
          continue;
        newBuffer(r, index, launch.getResultPlacement(i));
        if (offsets)
          fb.buffers.back().offset = offsets[i];
      }
    }
    ++index;
  }
  return fb;
}

} // namespace alexc::kernel
