//===- Fusion.cpp - Group nn ops into kernels -----------------------------===//
//
// A greedy pass over each function's ops, in order. Every nn op either
// starts a kernel (a group) or joins an earlier one; groups are then turned
// into kernel.launch ops placed where their last member was. An op may join
// a group only if every value the group already produces for other users is
// used after this op: then the launch, placed at the group's last member,
// still defines each value before its uses.
//
//===----------------------------------------------------------------------===//
#include "Dialect/Kernel/Transforms/Passes.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace alexc::kernel {
#define GEN_PASS_DEF_KERNELFUSION
#include "Dialect/Kernel/Transforms/Passes.h.inc"
} // namespace alexc::kernel

using namespace mlir;
using namespace alexc;

namespace {

struct Group {
  SmallVector<Operation *> ops;
  nn::KernelKind kind;
  std::string role; // "forward", "input_grad", ...
};

/// The kernel an op starts, or none for an elementwise op that may fuse into
/// its producer (the op says which: nn's KernelOp interface).
std::optional<nn::KernelKind> anchorKind(nn::KernelOp op) {
  nn::KernelKind kind = op.getKernelKind();
  if (kind == nn::KernelKind::Elementwise)
    return std::nullopt;
  return kind;
}

class FunctionFuser {
public:
  explicit FunctionFuser(func::FuncOp func) : func(func) {}

  LogicalResult run() {
    Block &body = func.getBody().front();
    for (Operation &op : body)
      order[&op] = order.size();

    for (Operation &op : body.without_terminator()) {
      if (isa<nn::FlattenOp, nn::ReshapeOp>(op))
        continue; // become views
      auto kernelOp = dyn_cast<nn::KernelOp>(op);
      if (!kernelOp)
        return op.emitError() << "kernel-fusion: unexpected op";
      assign(kernelOp);
    }
    materialize();
    return success();
  }

private:
  /// Joins `op` to a group or starts one.
  void assign(nn::KernelOp kernelOp) {
    Operation *op = kernelOp;
    if (auto kind = anchorKind(kernelOp)) {
      // Siblings that read the same data as an existing kernel: a bias
      // gradient joins its weight gradient.
      if (auto bias = dyn_cast<nn::BiasGradOp>(op))
        if (Group *g = findReader(bias.getOutputGrad(), [](Operation *o) {
              auto k = dyn_cast<nn::KernelOp>(o);
              return k && k.isParameterGradient() && !isa<nn::BiasGradOp>(o);
            }))
          if (canJoin(*g, op))
            return join(*g, op);
      if (isa<nn::CountCorrectOp, nn::SoftmaxCrossEntropyGradOp>(op))
        if (Group *g = findReader(op->getOperand(0), [](Operation *o) {
              return isa<nn::SoftmaxCrossEntropyOp>(o);
            }))
          if (canJoin(*g, op))
            return join(*g, op);
      if (*kind == nn::KernelKind::Optimizer && optimizerGroup &&
          canJoin(groups[*optimizerGroup], op))
        return join(groups[*optimizerGroup], op);
      startGroup(op, *kind, kernelOp.getKernelRole());
      if (*kind == nn::KernelKind::Optimizer)
        optimizerGroup = groups.size() - 1;
      return;
    }
    // Elementwise: an epilogue of the kernel producing its chain operand,
    // also through a flatten/reshape used by nothing else.
    for (Value v : kernelOp.getChainOperands()) {
      Operation *def = v.getDefiningOp();
      Operation *view = nullptr;
      if (def && isa<nn::FlattenOp, nn::ReshapeOp>(def) && v.hasOneUse()) {
        view = def;
        def = def->getOperand(0).getDefiningOp();
      }
      if (!def)
        continue;
      auto it = groupOf.find(def);
      if (it == groupOf.end())
        continue;
      Group &g = groups[it->second];
      // Copies and updates write their results themselves: no epilogue.
      if (g.kind == nn::KernelKind::Optimizer ||
          g.kind == nn::KernelKind::Fill || g.kind == nn::KernelKind::Copy)
        continue;
      if (view && canJoin(g, view)) {
        join(g, view);
        if (canJoin(g, op))
          return join(g, op);
        g.ops.pop_back(); // the view alone gains nothing
        groupOf.erase(view);
        continue;
      }
      if (!view && canJoin(g, op))
        return join(g, op);
    }
    startGroup(op, nn::KernelKind::Elementwise, kernelOp.getKernelRole());
  }

  /// The group of an op that reads `v` and satisfies `pred`.
  template <typename Pred> Group *findReader(Value v, Pred pred) {
    for (Operation *user : v.getUsers())
      if (pred(user))
        if (auto it = groupOf.find(user); it != groupOf.end())
          return &groups[it->second];
    return nullptr;
  }

  /// Joining is legal if no value of the group has a user outside it that
  /// comes before `op` (the launch will be placed at `op`).
  bool canJoin(const Group &g, Operation *op) {
    llvm::SmallPtrSet<Operation *, 8> members(g.ops.begin(), g.ops.end());
    for (Operation *member : g.ops)
      for (Operation *user : member->getUsers())
        if (user != op && !members.contains(user) && order[user] < order[op])
          return false;
    return true;
  }

  void join(Group &g, Operation *op) {
    g.ops.push_back(op);
    groupOf[op] = &g - groups.data();
  }

  void startGroup(Operation *op, nn::KernelKind kind, StringRef role) {
    groups.push_back(Group{{op}, kind, role.str()});
    groupOf[op] = groups.size() - 1;
  }

  std::string kernelName(const Group &g) {
    std::string base;
    if (g.kind == nn::KernelKind::Optimizer)
      base = "optimizer_update";
    else if (g.kind == nn::KernelKind::Loss)
      base = "softmax_cross_entropy";
    else if (auto info = nn::getLayerInfo(g.ops.front()->getLoc()))
      base = info->name + "_" + g.role;
    else
      base = g.ops.front()->getName().stripDialect().str();
    if (g.kind ==
        nn::KernelKind::Fill) // initializers are named by the parameter
      if (auto ret = func.getResultAttrOfType<StringAttr>(resultIndexOf(g),
                                                          nn::step::kNameAttr))
        base = ret.str();
    for (char &c : base)
      if (!isalnum(static_cast<unsigned char>(c)))
        c = '_';
    std::string name = base;
    for (int i = 1; !names.insert(name).second; ++i)
      name = base + "_" + std::to_string(i);
    return name;
  }

  unsigned resultIndexOf(const Group &g) {
    Operation *ret = func.getBody().front().getTerminator();
    for (OpOperand &use : g.ops.front()->getResult(0).getUses())
      if (use.getOwner() == ret)
        return use.getOperandNumber();
    return 0;
  }

  void materialize() {
    OpBuilder b(func.getContext());
    // Views first: they move no data.
    func.walk([&](Operation *op) {
      if (!isa<nn::FlattenOp, nn::ReshapeOp>(op) || groupOf.count(op))
        return;
      b.setInsertionPoint(op);
      auto view = b.create<kernel::ViewOp>(
          op->getLoc(), op->getResult(0).getType(), op->getOperand(0));
      op->getResult(0).replaceAllUsesWith(view.getResult());
      op->erase();
    });

    for (Group &g : groups) {
      llvm::SmallPtrSet<Operation *, 8> members(g.ops.begin(), g.ops.end());
      llvm::SetVector<Value> inputs;
      SmallVector<Value> yielded;
      for (Operation *op : g.ops) {
        for (Value v : op->getOperands())
          if (!members.contains(v.getDefiningOp()))
            inputs.insert(v);
        for (Value r : op->getResults())
          if (llvm::any_of(r.getUsers(),
                           [&](Operation *u) { return !members.contains(u); }))
            yielded.push_back(r);
      }
      Operation *last = g.ops.front();
      for (Operation *op : g.ops)
        if (order[op] > order[last])
          last = op;
      b.setInsertionPointAfter(last);
      SmallVector<Type> resultTypes;
      for (Value v : yielded)
        resultTypes.push_back(v.getType());
      auto launch = b.create<kernel::LaunchOp>(
          g.ops.front()->getLoc(), resultTypes, b.getStringAttr(kernelName(g)),
          kernel::KernelKindAttr::get(b.getContext(), g.kind),
          inputs.getArrayRef(), /*offsets=*/nullptr, /*placement=*/nullptr,
          /*inplace=*/nullptr);
      Block *block = new Block();
      launch.getBody().push_back(block);
      IRMapping map;
      for (Value v : inputs)
        map.map(v, block->addArgument(v.getType(), v.getLoc()));
      OpBuilder inner = OpBuilder::atBlockEnd(block);
      SmallVector<Operation *> sorted(g.ops);
      llvm::sort(sorted, [&](Operation *a, Operation *c) {
        return order[a] < order[c];
      });
      for (Operation *op : sorted)
        inner.clone(*op, map);
      SmallVector<Value> inside;
      for (Value v : yielded)
        inside.push_back(map.lookup(v));
      inner.create<kernel::YieldOp>(g.ops.front()->getLoc(), inside);
      for (auto [v, r] : llvm::zip(yielded, launch.getResults()))
        v.replaceUsesWithIf(r, [&](OpOperand &use) {
          return !members.contains(use.getOwner());
        });
      for (Operation *op : llvm::reverse(sorted)) {
        op->dropAllUses();
        op->erase();
      }
    }
  }

  func::FuncOp func;
  std::vector<Group> groups;
  llvm::DenseMap<Operation *, size_t> groupOf;
  llvm::DenseMap<Operation *, size_t> order;
  std::optional<size_t> optimizerGroup;
  llvm::StringSet<> names;
};

struct KernelFusionPass
    : alexc::kernel::impl::KernelFusionBase<KernelFusionPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(FunctionFuser(func).run()))
        return signalPassFailure();
  }
};

} // namespace
