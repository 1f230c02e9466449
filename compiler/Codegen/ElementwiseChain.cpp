//===- ElementwiseChain.cpp - Fused elementwise ops as C++ statements -----===//
#include "Codegen/ElementwiseChain.h"
#include "Dialect/NN/IR/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace mlir;

namespace alexc::codegen {

std::string floatLiteral(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<float>(v));
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s + "f";
}

std::string firstGlobalElement(const std::string &rowOffset, Value chainStart) {
  auto type = cast<RankedTensorType>(chainStart.getType());
  return rowOffset + " * " +
         std::to_string(type.getNumElements() /
                        std::max<int64_t>(1, type.getDimSize(0)));
}

/// The statement of a dropout (or its gradient, the same mask): keep v,
/// scaled, where the mask keeps the element.
static std::string dropoutStatement(Operation *o, const ChainNames &names) {
  float rate = o->getAttrOfType<FloatAttr>("rate").getValue().convertToFloat();
  float scale = 1.f / (1.f - rate);
  int64_t stream = o->getAttrOfType<IntegerAttr>("stream").getInt();
  std::string keep = names.keep
                         ? names.keep(stream, rate)
                         : "alexc::rng::dropoutKeep(" + names.seed + ", " +
                               names.step + ", " + std::to_string(stream) +
                               "u, uint64_t(i), " + floatLiteral(rate) + ")";
  return "if (" + names.dropout + ") v = alexc::rt::keepIf(" + keep + ", v * " +
         floatLiteral(scale) + ");\n";
}

FailureOr<std::string>
elementwiseChain(kernel::LaunchOp launch, ArrayRef<Operation *> chain,
                 Value start,
                 const std::function<std::string(Value)> &elementOf,
                 const ChainNames &names, bool storeStart) {
  auto yield = cast<kernel::YieldOp>(launch.getBlock().getTerminator());
  auto yielded = [&](Value v) {
    return llvm::is_contained(yield.getValues(), v);
  };
  std::string code;
  llvm::raw_string_ostream s(code);
  auto store = [&](Value v) { s << elementOf(v) << " = v;\n"; };
  if (storeStart && yielded(start))
    store(start);
  // A chain value read again further on (a graph's fan-out inside one
  // kernel, as in x + relu(x)) is kept in a local: it is not stored unless
  // the kernel yields it.
  llvm::DenseMap<Value, std::string> locals;
  auto keepIfReused = [&](Value v) {
    int uses = 0;
    for (Operation *user : v.getUsers())
      uses += llvm::is_contained(chain, user) ? 1 : 0;
    if (uses < 2)
      return;
    std::string name = "x" + std::to_string(locals.size());
    s << "const float " << name << " = v;\n";
    locals[v] = name;
  };
  keepIfReused(start);
  Value cur = start;
  int tmp = 0;
  for (Operation *op : chain) {
    // The op says which operands may carry the chain (nn's KernelOp
    // interface); views pass it through.
    auto kernelOp = dyn_cast<nn::KernelOp>(op);
    bool carries =
        kernelOp
            ? llvm::is_contained(kernelOp.getChainOperands(), cur)
            : isa<nn::ReshapeOp, nn::FlattenOp>(op) && op->getOperand(0) == cur;
    auto ext = [&](Value v) {
      auto it = locals.find(v);
      return it != locals.end() ? it->second : elementOf(v);
    };
    bool known =
        llvm::TypeSwitch<Operation *, bool>(op)
            .Case([&](nn::ReluOp) {
              // Branch-free (runtime/abi/Select.h): half the elements go each way.
              s << "v = alexc::rt::keepIf(v > 0.f, v);\n";
              return true;
            })
            .Case([&](nn::SigmoidOp) {
              s << "v = 1.f / (1.f + expf(-v));\n";
              return true;
            })
            .Case([&](nn::TanhOp) {
              s << "v = tanhf(v);\n";
              return true;
            })
            .Case<nn::DropoutOp, nn::DropoutGradOp>([&](Operation *o) {
              s << dropoutStatement(o, names);
              return true;
            })
            .Case([&](nn::ReluGradOp o) {
              s << "v = alexc::rt::keepIf(" << ext(o.getOutput())
                << " > 0.f, v);\n";
              return true;
            })
            .Case([&](nn::SigmoidGradOp o) {
              s << "{ float y" << tmp << " = " << ext(o.getOutput())
                << "; v = v * y" << tmp << " * (1.f - y" << tmp << "); }\n";
              ++tmp;
              return true;
            })
            .Case([&](nn::TanhGradOp o) {
              s << "{ float y" << tmp << " = " << ext(o.getOutput())
                << "; v = v * (1.f - y" << tmp << " * y" << tmp << "); }\n";
              ++tmp;
              return true;
            })
            .Case([&](nn::AddOp o) {
              if (o.getLhs() == o.getRhs()) { // x + x: both in the register
                s << "v = v + v;\n";
                return true;
              }
              Value other = o.getLhs() == cur ? o.getRhs() : o.getLhs();
              s << "v = v + " << ext(other) << ";\n";
              return true;
            })
            .Case<nn::ReshapeOp, nn::FlattenOp>(
                [](Operation *) { return true; })
            .Default([](Operation *) { return false; });
    if (!carries || !known)
      return op->emitError()
             << "code generation: cannot fuse '" << op->getName()
             << "' as an epilogue of kernel '" << launch.getName() << "'";
    cur = op->getResult(0);
    if (yielded(cur))
      store(cur);
    keepIfReused(cur);
  }
  return code;
}

} // namespace alexc::codegen
