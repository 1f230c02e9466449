//===- MemoryPlan.cpp - Static memory planning of kernel functions --------===//
//
// Every transient kernel result gets an offset in one arena; two buffers may
// share bytes only if their lifetimes do not overlap. Offsets are chosen
// greedily by size (largest first, lowest offset that fits among the
// already placed buffers that are live at the same time), which is what
// TensorFlow Lite's arena planner does and is close to optimal on chains.
// Concat inputs are written into the concat's buffer where they can be
// (ConcatSlices.cpp).
//
//===----------------------------------------------------------------------===//
#include "Dialect/Kernel/Transforms/ConcatSlices.h"
#include "Dialect/Kernel/Transforms/Liveness.h"
#include "Dialect/Kernel/Transforms/Passes.h"
#include "Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"

namespace alexc::kernel {
#define GEN_PASS_DEF_KERNELMEMORYPLAN
#define GEN_PASS_DEF_KERNELCHECKPLAN
#include "Dialect/Kernel/Transforms/Passes.h.inc"
} // namespace alexc::kernel

using namespace mlir;
using namespace alexc;
using namespace alexc::kernel;

namespace {

bool overlaps(const Buffer &a, const Buffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

/// For each result of an optimizer launch, the input it updates in place:
/// the parameter or state operand of the update op that yields it.
SmallVector<int64_t> optimizerInplace(LaunchOp launch) {
  SmallVector<int64_t> inplace(launch.getNumResults(), -1);
  auto yield = cast<YieldOp>(launch.getBlock().getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto res = dyn_cast<OpResult>(v);
    if (!res)
      continue;
    auto op = dyn_cast<nn::KernelOp>(res.getOwner());
    std::optional<unsigned> operand =
        op ? op.getUpdatedOperand(res.getResultNumber()) : std::nullopt;
    if (!operand)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(op->getOperand(*operand)))
      if (isa<BlockArgument>(launch.getInputs()[arg.getArgNumber()]))
        inplace[i] = arg.getArgNumber();
  }
  return inplace;
}

struct KernelMemoryPlanPass
    : alexc::kernel::impl::KernelMemoryPlanBase<KernelMemoryPlanPass> {
  using KernelMemoryPlanBase::KernelMemoryPlanBase;
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        planFunction(func);
  }

  void planFunction(func::FuncOp func) {
    Builder b(func.getContext());
    Block &body = func.getBody().front();
    SmallVector<LaunchOp> launches(body.getOps<LaunchOp>());
    planInPlace(func, launches);
    // Placement: returned values and what the optimizer reads (gradients)
    // persist; the rest is transient.
    FunctionBuffers fb = computeBuffers(func);
    auto persist = [&](Value v) {
      if (auto it = fb.bufferOf.find(v); it != fb.bufferOf.end())
        if (fb.buffers[it->second].placement == Placement::Arena)
          fb.buffers[it->second].placement = Placement::Persistent;
    };
    for (Value v : body.getTerminator()->getOperands())
      persist(v);
    for (LaunchOp launch : launches)
      if (launch.getKind() == nn::KernelKind::Optimizer)
        for (Value v : launch.getInputs())
          persist(v);
    int64_t persistentBytes = layOutPersistent(fb);
    int64_t arenaBytes = layOutArena(fb);
    for (LaunchOp launch : launches)
      annotate(launch, fb);
    func->setAttr("kernel.arena_bytes", b.getI64IntegerAttr(arenaBytes));
    func->setAttr("kernel.persistent_bytes",
                  b.getI64IntegerAttr(persistentBytes));
  }

  /// In-place updates: optimizer results overwrite their parameters and
  /// state; concat inputs go into the concat's buffer where they can; an
  /// elementwise kernel overwrites an input that dies with it (not a
  /// concat's slice: its rows are strided).
  void planInPlace(func::FuncOp func, ArrayRef<LaunchOp> launches) {
    Builder b(func.getContext());
    Block &body = func.getBody().front();
    for (LaunchOp launch : launches) {
      SmallVector<int64_t> inplace(launch.getNumResults(), -1);
      if (launch.getKind() == nn::KernelKind::Optimizer)
        inplace = optimizerInplace(launch);
      launch.setInplaceAttr(b.getDenseI64ArrayAttr(inplace));
    }
    if (concatSlices)
      placeConcatSlices(func);
    for (LaunchOp launch : launches) {
      if (launch.getKind() != nn::KernelKind::Elementwise ||
          launch.getNumResults() != 1 || isConcatSlice(launch.getResult(0)))
        continue;
      FunctionBuffers fb = computeBuffers(func);
      int64_t index = std::distance(body.begin(), launch->getIterator());
      for (auto [j, input] : llvm::enumerate(launch.getInputs())) {
        if (input.getType() != launch.getResult(0).getType() ||
            isConcatSlice(input))
          continue;
        auto it = fb.bufferOf.find(input);
        if (it == fb.bufferOf.end())
          continue;
        const Buffer &buf = fb.buffers[it->second];
        if (buf.placement != Placement::Arena || buf.end != index)
          continue;
        launch.setInplaceAttr(
            b.getDenseI64ArrayAttr({static_cast<int64_t>(j)}));
        break;
      }
    }
  }

  /// Persistent buffers, one after another; returns their bytes.
  static int64_t layOutPersistent(FunctionBuffers &fb) {
    int64_t bytes = 0;
    for (Buffer &buf : fb.buffers)
      if (buf.placement == Placement::Persistent) {
        buf.offset = bytes;
        bytes += buf.bytes;
      }
    return bytes;
  }

  /// Transient buffers, largest first, each at the first gap among the
  /// buffers live at the same time that fits it; returns the arena's size.
  static int64_t layOutArena(FunctionBuffers &fb) {
    SmallVector<Buffer *> arena;
    for (Buffer &buf : fb.buffers)
      if (buf.placement == Placement::Arena)
        arena.push_back(&buf);
    llvm::stable_sort(arena,
                      [](Buffer *a, Buffer *c) { return a->bytes > c->bytes; });
    int64_t arenaBytes = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *buf : arena) {
      SmallVector<Buffer *> live;
      for (Buffer *p : placed)
        if (overlaps(*p, *buf))
          live.push_back(p);
      llvm::sort(live,
                 [](Buffer *a, Buffer *c) { return a->offset < c->offset; });
      int64_t offset = 0;
      for (Buffer *p : live) {
        if (p->offset - offset >= buf->bytes)
          break;
        offset = std::max(offset, p->offset + p->bytes);
      }
      buf->offset = offset;
      arenaBytes = std::max(arenaBytes, offset + buf->bytes);
      placed.push_back(buf);
    }
    return arenaBytes;
  }

  /// Each result's offset and placement on its launch.
  static void annotate(LaunchOp launch, const FunctionBuffers &fb) {
    Builder b(launch.getContext());
    ArrayRef<int64_t> inplace = *launch.getInplace();
    SmallVector<int64_t> offsets;
    SmallVector<Attribute> placement;
    for (auto [i, r] : llvm::enumerate(launch.getResults())) {
      if (inplace[i] >= 0 || launch.getResultPlacement(i) == Placement::Slice) {
        offsets.push_back(-1);
        placement.push_back(PlacementAttr::get(
            b.getContext(),
            inplace[i] >= 0 ? Placement::InPlace : Placement::Slice));
        continue;
      }
      const Buffer &buf = fb.buffers[fb.bufferOf.lookup(r)];
      offsets.push_back(buf.offset);
      placement.push_back(PlacementAttr::get(b.getContext(), buf.placement));
    }
    launch.setOffsetsAttr(b.getDenseI64ArrayAttr(offsets));
    launch.setPlacementAttr(b.getArrayAttr(placement));
  }
};

struct KernelCheckPlanPass
    : alexc::kernel::impl::KernelCheckPlanBase<KernelCheckPlanPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      FunctionBuffers fb = computeBuffers(func);
      auto arenaBytes = func->getAttrOfType<IntegerAttr>("kernel.arena_bytes");
      for (size_t i = 0; i < fb.buffers.size(); ++i) {
        const Buffer &a = fb.buffers[i];
        if (a.placement == Placement::Argument)
          continue;
        if (a.offset < 0) {
          emitDefinerError(a) << "has no planned offset";
          return signalPassFailure();
        }
        if (a.placement == Placement::Arena && arenaBytes &&
            a.offset + a.bytes > arenaBytes.getInt()) {
          emitDefinerError(a) << "ends past the arena";
          return signalPassFailure();
        }
        for (size_t j = i + 1; j < fb.buffers.size(); ++j) {
          const Buffer &c = fb.buffers[j];
          if (c.placement != a.placement || !overlaps(a, c))
            continue;
          if (a.offset < c.offset + c.bytes && c.offset < a.offset + a.bytes) {
            emitDefinerError(a)
                << "overlaps a live buffer of " << describe(c) << " in the "
                << stringifyPlacement(a.placement) << " (bytes [" << a.offset
                << ", " << a.offset + a.bytes << ") and [" << c.offset << ", "
                << c.offset + c.bytes << "))";
            return signalPassFailure();
          }
        }
      }
    }
  }

  static std::string describe(const Buffer &buf) {
    if (auto launch = buf.root.getDefiningOp<LaunchOp>())
      return ("'" + launch.getName() + "'").str();
    return "an argument";
  }
  InFlightDiagnostic emitDefinerError(const Buffer &buf) {
    Operation *op = buf.root.getDefiningOp();
    return op->emitError() << "memory plan: the buffer of " << describe(buf)
                           << " ";
  }
};

} // namespace
