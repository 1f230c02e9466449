//===- NNAttrs.cpp - Typed settings of the nn dialect ---------------------===//
#include "Dialect/NN/IR/NNAttrs.h"
#include "Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace alexc::nn;

#define GET_ATTRDEF_CLASSES
#include "Dialect/NN/IR/NNAttrs.cpp.inc"

void NNDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Dialect/NN/IR/NNAttrs.cpp.inc"
      >();
}

/// A field's bound: `ok` for a finite value, else an error naming it.
static LogicalResult check(function_ref<InFlightDiagnostic()> emitError,
                           StringRef name, double value, bool ok,
                           StringRef bound) {
  if (ok && std::isfinite(value))
    return success();
  return emitError() << name << " must be " << bound << ", got " << value;
}

static bool isFraction(double v) { return v >= 0 && v < 1; }

LogicalResult
OptimizerAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      OptimizerKind kind, APFloat learningRateValue,
                      APFloat momentumValue, APFloat weightDecayValue,
                      bool nesterov, APFloat beta1Value, APFloat beta2Value,
                      APFloat epsilonValue) {
  double learningRate = learningRateValue.convertToDouble(),
         momentum = momentumValue.convertToDouble(),
         weightDecay = weightDecayValue.convertToDouble(),
         beta1 = beta1Value.convertToDouble(),
         beta2 = beta2Value.convertToDouble(),
         epsilon = epsilonValue.convertToDouble();
  if (failed(check(emitError, "learning_rate", learningRate, learningRate > 0,
                   "positive")) ||
      failed(check(emitError, "momentum", momentum, isFraction(momentum),
                   "in [0, 1)")) ||
      failed(check(emitError, "weight_decay", weightDecay, weightDecay >= 0,
                   "non-negative")) ||
      failed(
          check(emitError, "beta1", beta1, isFraction(beta1), "in [0, 1)")) ||
      failed(
          check(emitError, "beta2", beta2, isFraction(beta2), "in [0, 1)")) ||
      failed(check(emitError, "epsilon", epsilon, epsilon > 0, "positive")))
    return failure();
  if (kind == OptimizerKind::SGD && nesterov && momentum == 0)
    return emitError() << "nesterov needs a momentum above 0";
  return success();
}

LogicalResult
InitializerAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        InitializerKind kind, Distribution distribution,
                        APFloat magnitudeValue, APFloat sigmaValue) {
  double magnitude = magnitudeValue.convertToDouble(),
         sigma = sigmaValue.convertToDouble();
  if (failed(check(emitError, "magnitude", magnitude, magnitude > 0,
                   "positive")) ||
      failed(check(emitError, "sigma", sigma, sigma > 0, "positive")))
    return failure();
  return success();
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  bool typed = name == kOptimizerAttrName ? isa<OptimizerAttr>(attr.getValue())
               : name == kInitializerAttrName
                   ? isa<InitializerAttr>(attr.getValue())
                   : true;
  if (!typed)
    return op->emitError() << "'" << name << "' must be a #" << name
                           << "<...> attribute, got " << attr.getValue();
  if ((name == kOptimizerAttrName || name == kInitializerAttrName) &&
      !isa<ModuleOp>(op))
    return op->emitError() << "'" << name << "' belongs on the module";
  return success();
}
