//===- KernelOps.cpp - The kernel dialect ---------------------------------===//
#include "Dialect/Kernel/IR/KernelOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace alexc::kernel;

#include "Dialect/Kernel/IR/KernelDialect.cpp.inc"
#include "Dialect/Kernel/IR/KernelEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Dialect/Kernel/IR/KernelAttrs.cpp.inc"

void KernelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Dialect/Kernel/IR/KernelOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Dialect/Kernel/IR/KernelAttrs.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "Dialect/Kernel/IR/KernelOps.cpp.inc"

LogicalResult LaunchOp::verify() {
  Block &block = getBlock();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "body has " << block.getNumArguments()
                         << " arguments for " << getInputs().size()
                         << " inputs";
  for (auto [i, arg, input] :
       llvm::enumerate(block.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError() << "body argument #" << i << " has type "
                           << arg.getType() << " but input #" << i
                           << " has type " << input.getType();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError() << "yields " << yield.getValues().size()
                         << " values whose types differ from the results";
  if (auto offsets = getOffsetsAttr())
    if (offsets.size() != static_cast<int64_t>(getNumResults()))
      return emitOpError() << "has " << offsets.size() << " offsets for "
                           << getNumResults() << " results";
  if (auto placement = getPlacementAttr())
    if (placement.size() != getNumResults())
      return emitOpError() << "has " << placement.size() << " placements for "
                           << getNumResults() << " results";
  for (unsigned i = 0; i < getNumResults(); ++i) {
    if (getResultPlacement(i) != Placement::Slice)
      continue;
    LaunchOp owner = getSliceOwner(i);
    if (!owner || llvm::count(owner.getInputs(), getResult(i)) != 1)
      return emitOpError() << "places result #" << i
                           << " as a slice, but no concat reads it once";
  }
  return success();
}

// kernel.launch "name" kind = conv (%a, %b : ta, tb) -> (tr) {body}
void LaunchOp::print(OpAsmPrinter &p) {
  p << " ";
  p.printAttribute(getNameAttr());
  p << " kind = " << nn::stringifyKernelKind(getKind());
  p << " (";
  p << getInputs();
  if (!getInputs().empty())
    p << " : " << getInputs().getTypes();
  p << ") -> (" << getResultTypes() << ")";
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs(), {"name", "kind"});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/true,
                /*printBlockTerminators=*/true);
}

ParseResult LaunchOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name;
  StringRef kindName;
  SmallVector<OpAsmParser::UnresolvedOperand> inputs;
  SmallVector<Type> inputTypes, resultTypes;
  if (parser.parseAttribute(name, "name", result.attributes) ||
      parser.parseKeyword("kind") || parser.parseEqual())
    return failure();
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&kindName))
    return failure();
  std::optional<nn::KernelKind> kind = nn::symbolizeKernelKind(kindName);
  if (!kind)
    return parser.emitError(kindLoc)
           << "unknown kernel kind '" << kindName << "'";
  result.addAttribute("kind", KernelKindAttr::get(parser.getContext(), *kind));
  if (parser.parseLParen() || parser.parseOperandList(inputs))
    return failure();
  if (!inputs.empty() &&
      (parser.parseColon() || parser.parseTypeList(inputTypes)))
    return failure();
  if (parser.parseRParen() || parser.parseArrow() || parser.parseLParen())
    return failure();
  if (failed(parser.parseOptionalRParen())) {
    if (parser.parseTypeList(resultTypes) || parser.parseRParen())
      return failure();
  }
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  if (parser.resolveOperands(inputs, inputTypes, parser.getNameLoc(),
                             result.operands))
    return failure();
  result.addTypes(resultTypes);
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  return success();
}

Placement LaunchOp::getResultPlacement(unsigned i) {
  if (auto placement = getPlacementAttr())
    return cast<PlacementAttr>(placement[i]).getValue();
  return Placement::Arena;
}

LaunchOp LaunchOp::getSliceOwner(unsigned i) {
  for (Operation *user : getResult(i).getUsers())
    if (auto launch = dyn_cast<LaunchOp>(user))
      if (isa<nn::ConcatOp>(launch.getAnchor()))
        return launch;
  return {};
}

int64_t LaunchOp::getSliceRowOffset(unsigned i) {
  LaunchOp owner = getSliceOwner(i);
  int64_t offset = 0;
  for (Value in : owner.getInputs()) {
    if (in == getResult(i))
      return offset;
    auto t = cast<RankedTensorType>(in.getType());
    offset += t.getNumElements() / t.getDimSize(0);
  }
  return -1;
}

LogicalResult ViewOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "input has " << in.getNumElements()
                         << " elements but the result has "
                         << out.getNumElements();
  return success();
}
