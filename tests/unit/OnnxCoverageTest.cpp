// Every layer type has an ONNX form: a network around each type in the
// layer schema becomes an ONNX graph (the exporter's op mapping, before
// ONNX's own checks, which e2e_onnx_export runs with ONNX Runtime). A new
// layer type whose op the exporter does not know fails here.
#include "Dialect/NN/IR/StepSignature.h"
#include "Driver/Pipeline.h"
#include "Export/OnnxFromNN.h"
#include "Frontend/LayerSchema.h"
#include "LayerNetworks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

/// Zero tensors for @forward's parameters, by name.
alexc::rt::Safetensors zeroWeights(ModuleOp module) {
  alexc::rt::Safetensors weights;
  auto forward = module.lookupSymbol<func::FuncOp>(alexc::nn::step::kForward);
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    StringRef name = alexc::nn::step::argumentName(forward, i);
    auto type = dyn_cast<RankedTensorType>(forward.getArgumentTypes()[i]);
    if (!type || name == alexc::nn::step::kImages)
      continue;
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    std::vector<float> zeros(type.getNumElements(), 0.f);
    weights.tensors[name.str()] =
        alexc::rt::StoredTensor::fromFloat(shape, zeros.data());
  }
  return weights;
}

TEST(OnnxCoverage, EveryLayerTypeExports) {
  for (const alexc::LayerSchema &schema : alexc::layerSchemas())
    for (const alexc::LayerType &t : schema.types) {
      SCOPED_TRACE(t.name);
      alexc::ModelSpec spec;
      alexc::SpecDiagnostic diag;
      ASSERT_TRUE(
          alexc::readModelSpec(alexc::testing::networkAround(t.name, schema),
                               alexc::SpecFormat::Json, spec, diag))
          << diag.message;
      MLIRContext ctx;
      alexc::PipelineOptions options;
      options.stopAfter = alexc::Stage::Shapes;
      auto module = alexc::compileSpec(ctx, spec, options);
      ASSERT_TRUE(module);
      alexc::onnx_export::OnnxGraph graph;
      std::string error;
      EXPECT_TRUE(alexc::onnx_export::buildOnnxGraph(
          *module, zeroWeights(*module), "zeros", graph, error))
          << error;
    }
}

} // namespace
