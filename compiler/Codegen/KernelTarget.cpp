//===- KernelTarget.cpp - The lowering both back ends share ---------------===//
#include "Codegen/KernelTarget.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc::codegen {

// Data-parallel steps, the same on both back ends (whose frames carry the
// hooks as `f.sync`): a launch that reads the gradients first waits for
// their sum over ranks; one that completes some hands them over.
static std::string waitForGradients() {
  return "  if (f.sync)\n    f.sync->wait(f.sync->context);\n";
}

static std::string gradientsCompleted(const KernelCall &call) {
  std::string s;
  for (auto &[pointer, count] : call.completedGradients)
    s += "  if (f.sync)\n    f.sync->ready(f.sync->context, " + pointer + ", " +
         std::to_string(count) + ");\n";
  return s;
}

LogicalResult printKernel(const KernelCall &call, const std::string &name,
                          KernelTarget &target, raw_ostream &os) {
  kernel::LaunchOp launch = call.launch;
  os << "\n// " << launch.getName() << " ("
     << nn::stringifyKernelKind(launch.getKind()) << "):";
  for (Operation &op : launch.getBlock().without_terminator())
    os << " " << op.getName().getStringRef();
  os << "\n";
  std::string body;
  llvm::raw_string_ostream b(body);
  for (const BufferCopy &c : call.copies)
    b << "  " << target.copyStatement(c.dst, c.src, std::to_string(c.bytes))
      << "\n";
  b << call.setup;
  if (call.waitsForGradients)
    b << waitForGradients();
  auto epilogue = target.epilogueArguments(call, name, os, b);
  if (failed(epilogue))
    return failure();
  for (const RuntimeCall &rc : call.calls) {
    b << "  " << rc.function;
    if (!rc.templateArgs.empty())
      b << "<" << rc.templateArgs << ">";
    b << "(";
    llvm::interleaveComma(rc.args, b);
    if (!epilogue->empty())
      b << ",\n      " << *epilogue;
    std::string frame = target.frameArguments(call, rc);
    if (!frame.empty())
      b << ", " << frame;
    b << ");\n";
  }
  if (!call.completedGradients.empty())
    b << gradientsCompleted(call);
  os << target.functionHeader(name) << body << "}\n";
  return success();
}

void printResultCopies(func::FuncOp func, const FunctionLocations &locs,
                       KernelTarget &target, raw_ostream &os) {
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [k, v] : llvm::enumerate(ret->getOperands())) {
    auto loc = locs.lookup(v);
    if (!loc ||
        (loc->kind == ValueLocation::Result && loc->index == int64_t(k)))
      continue;
    std::string result = llvm::formatv("f.results[{0}]", k).str();
    int64_t bytes = cast<RankedTensorType>(v.getType()).getNumElements() * 4;
    os << "  if (" << result << " && " << result << " != (void *)("
       << locs.pointer(v) << "))\n    "
       << target.copyStatement(result, locs.pointer(v), std::to_string(bytes))
       << "\n";
  }
}

} // namespace alexc::codegen
