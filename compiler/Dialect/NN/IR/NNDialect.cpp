//===- NNDialect.cpp - nn dialect registration and layer info ------------===//
#include "Dialect/NN/IR/NNDialect.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace alexc::nn;

#include "Dialect/NN/IR/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Dialect/NN/IR/NNOps.cpp.inc"
      >();
  registerAttributes();
}

Location alexc::nn::makeLayerLoc(MLIRContext *ctx, const LayerInfo &info) {
  Builder b(ctx);
  auto meta = b.getDictionaryAttr(
      {b.getNamedAttr("index", b.getI64IntegerAttr(info.index)),
       b.getNamedAttr("type", b.getStringAttr(info.type))});
  Location name = NameLoc::get(b.getStringAttr(info.name));
  if (info.line > 0)
    name =
        NameLoc::get(b.getStringAttr(info.name),
                     FileLineColLoc::get(ctx, info.file, info.line, info.col));
  return FusedLoc::get({name}, meta, ctx);
}

std::optional<LayerInfo> alexc::nn::getLayerInfo(Location loc) {
  auto fused = dyn_cast<FusedLoc>(loc);
  if (!fused)
    return std::nullopt;
  auto meta = dyn_cast_or_null<DictionaryAttr>(fused.getMetadata());
  if (!meta || fused.getLocations().empty())
    return std::nullopt;
  auto name = dyn_cast<NameLoc>(fused.getLocations().front());
  auto type = meta.getAs<StringAttr>("type");
  auto index = meta.getAs<IntegerAttr>("index");
  if (!name || !type || !index)
    return std::nullopt;
  return LayerInfo{name.getName().str(), type.str(), index.getInt()};
}

std::string alexc::nn::describeLayer(Operation *op) {
  if (auto info = getLayerInfo(op->getLoc()))
    return llvm::formatv("layer '{0}' ({1}, #{2})", info->name, info->type,
                         info->index)
        .str();
  return ("'" + op->getName().getStringRef() + "'").str();
}

std::string alexc::nn::formatDims(llvm::ArrayRef<int64_t> dims) {
  std::string s;
  for (size_t i = 1; i < dims.size(); ++i) {
    if (i > 1)
      s += "x";
    s += ShapedType::isDynamic(dims[i]) ? "?" : std::to_string(dims[i]);
  }
  return s.empty() ? "scalar" : s;
}
