//===- Autodiff.cpp - Training step by reverse-mode differentiation -------===//
//
// Builds @init, @gradients, @train_step and @eval_step from @forward and
// @loss (see Passes.td). The forward graph is cloned into each function; the
// backward graph is built by walking the clone in reverse, applying each
// op's gradient rule to the operands that depend on a parameter ("active"
// values) and summing gradients where a value has several users.
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/IR/StepSignature.h"
#include "Dialect/NN/Transforms/GradientRules.h"
#include "Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>

namespace alexc::nn {
#define GEN_PASS_DEF_NNAUTODIFF
#include "Dialect/NN/Transforms/Passes.h.inc"
} // namespace alexc::nn

using namespace mlir;
using namespace alexc::nn;
using alexc::rt::TensorRole;

namespace {

/// @forward's calling convention: parameters, then images, seed, step.
constexpr unsigned kForwardDataArgs = 3;

/// A parameter or buffer: an argument of @forward before the images.
struct Param {
  std::string name;
  RankedTensorType type;
  unsigned forwardArg; // its position in @forward
  bool ones;           // nn.init = "ones": starts at 1 (batch norm)
};

/// Adds an argument or result name, and for a tensor carried from step to
/// step its role, to the function being built.
struct Signature {
  SmallVector<Type> types;
  SmallVector<std::string> names;
  SmallVector<std::optional<TensorRole>> roles;
  void add(Type t, StringRef name,
           std::optional<TensorRole> role = std::nullopt) {
    types.push_back(t);
    names.push_back(name.str());
    roles.push_back(role);
  }
};

class StepBuilder {
public:
  StepBuilder(ModuleOp module, func::FuncOp forward, func::FuncOp loss,
              ArrayRef<Param> params, ArrayRef<Param> buffers)
      : module(module), forward(forward), loss(loss), params(params),
        buffers(buffers), b(module.getContext()) {}

  /// Creates `func.func @name` with the given signatures and names, with an
  /// entry block; the builder is left at its start.
  func::FuncOp createFunc(StringRef name, const Signature &args,
                          const Signature &results) {
    b.setInsertionPointToEnd(module.getBody());
    auto func = b.create<func::FuncOp>(
        forward.getLoc(), name, b.getFunctionType(args.types, results.types));
    for (auto [i, n] : llvm::enumerate(args.names)) {
      func.setArgAttr(i, step::kNameAttr, b.getStringAttr(n));
      if (args.roles[i])
        step::setArgumentRole(func, i, *args.roles[i]);
    }
    for (auto [i, n] : llvm::enumerate(results.names))
      func.setResultAttr(i, step::kNameAttr, b.getStringAttr(n));
    b.setInsertionPointToStart(func.addEntryBlock());
    return func;
  }

  /// Clones the forward graph and the loss. Returns (loss, correct), or
  /// without `labels` (logits, null) and no loss; the
  /// cloned ops are recorded in `ops` (in order) for the backward sweep.
  /// `training` picks batch norm's mode; `newBuffers` receives each
  /// buffer's value after the step (updated running statistics).
  std::pair<Value, Value> emitForward(ValueRange paramValues,
                                      ValueRange bufferValues, Value images,
                                      Value labels, Value seed, Value step,
                                      bool dropout, bool training) {
    IRMapping map;
    Block &fwd = forward.getBody().front();
    llvm::DenseMap<Value, unsigned> bufferIndex;
    for (auto [p, v] : llvm::zip(params, paramValues))
      map.map(fwd.getArgument(p.forwardArg), v);
    for (auto [i, pair] : llvm::enumerate(llvm::zip(buffers, bufferValues))) {
      auto [p, v] = pair;
      map.map(fwd.getArgument(p.forwardArg), v);
      bufferIndex[fwd.getArgument(p.forwardArg)] = i;
    }
    newBuffers.assign(bufferValues.begin(), bufferValues.end());
    unsigned n = params.size() + buffers.size();
    map.map(fwd.getArgument(n), images);
    if (seed) {
      map.map(fwd.getArgument(n + 1), seed);
      map.map(fwd.getArgument(n + 2), step);
    }
    ops.clear();
    for (Operation &op : fwd.without_terminator()) {
      if (auto drop = dyn_cast<DropoutOp>(op); drop && !dropout) {
        map.map(drop.getOutput(), map.lookup(drop.getInput()));
        continue;
      }
      if (auto bn = dyn_cast<BatchNormOp>(op)) {
        emitBatchNorm(bn, map, bufferIndex, training);
        continue;
      }
      ops.push_back(b.clone(op, map));
    }
    Value logits = map.lookup(fwd.getTerminator()->getOperand(0));
    if (!labels)
      return {logits, Value()}; // @predict: the logits, no loss

    Block &lossBody = loss.getBody().front();
    map.map(lossBody.getArgument(0), logits);
    map.map(lossBody.getArgument(1), labels);
    for (Operation &op : lossBody.without_terminator())
      ops.push_back(b.clone(op, map));
    Value lossValue = map.lookup(lossBody.getTerminator()->getOperand(0));
    Value correct = b.create<CountCorrectOp>(
        loss.getLoc(), RankedTensorType::get({}, b.getI32Type()), logits,
        labels);
    return {lossValue, correct};
  }

  /// A batch norm layer in training (batch statistics; the running ones
  /// updated) or evaluation (running statistics) mode.
  void emitBatchNorm(BatchNormOp bn, IRMapping &map,
                     const llvm::DenseMap<Value, unsigned> &bufferIndex,
                     bool training) {
    auto lookup = [&](Value v) { return v ? map.lookup(v) : Value(); };
    Value x = map.lookup(bn.getInput()), mean = lookup(bn.getRunningMean()),
          var = lookup(bn.getRunningVar()), gamma = lookup(bn.getGamma()),
          beta = lookup(bn.getBeta());
    if (!training) {
      auto inference =
          b.create<BatchNormInferenceOp>(bn.getLoc(), x.getType(), x, mean, var,
                                         gamma, beta, bn.getEpsilonAttr());
      map.map(bn.getOutput(), inference.getOutput());
      ops.push_back(inference);
      return;
    }
    Type vec = mean.getType();
    auto train = b.create<BatchNormTrainOp>(
        bn.getLoc(), TypeRange{x.getType(), vec, vec, vec, vec}, x, mean, var,
        gamma, beta, bn.getMomentumAttr(), bn.getEpsilonAttr());
    map.map(bn.getOutput(), train.getOutput());
    ops.push_back(train);
    if (auto it = bufferIndex.find(bn.getRunningMean());
        it != bufferIndex.end())
      newBuffers[it->second] = train.getNewRunningMean();
    if (auto it = bufferIndex.find(bn.getRunningVar()); it != bufferIndex.end())
      newBuffers[it->second] = train.getNewRunningVar();
  }

  /// The buffers after the last emitForward.
  ArrayRef<Value> updatedBuffers() const { return newBuffers; }

  /// Reverse sweep over the ops of the last emitForward. Returns the
  /// gradient of each of `paramValues` (zeros for an unused parameter).
  FailureOr<SmallVector<Value>> emitBackward(ValueRange paramValues) {
    // Values that depend on a parameter.
    llvm::DenseSet<Value> active(paramValues.begin(), paramValues.end());
    for (Operation *op : ops)
      if (llvm::any_of(op->getOperands(),
                       [&](Value v) { return active.contains(v); }))
        active.insert(op->getResults().begin(), op->getResults().end());

    llvm::DenseMap<Value, Value> grads;
    auto accumulate = [&](Value v, Value g) {
      auto [it, inserted] = grads.try_emplace(v, g);
      if (!inserted)
        it->second = b.create<AddOp>(g.getLoc(), it->second, g);
    };

    // The loss is the root: d(loss)/d(loss) = 1, folded into the fused
    // softmax-cross-entropy gradient.
    auto root = dyn_cast<SoftmaxCrossEntropyOp>(ops.back());
    if (!root)
      return ops.back()->emitError()
             << "nn-autodiff: the loss must be nn.softmax_cross_entropy";
    accumulate(root.getLogits(),
               b.create<SoftmaxCrossEntropyGradOp>(
                   root.getLoc(), root.getLogits(), root.getLabels()));

    for (Operation *op : llvm::reverse(ArrayRef(ops).drop_back())) {
      // Result 0 is the differentiable one (batch norm's others are
      // statistics).
      if (op->getNumResults() == 0)
        continue;
      Value dy = grads.lookup(op->getResult(0));
      if (!dy)
        continue; // does not reach the loss
      SmallVector<bool> needed;
      for (Value operand : op->getOperands())
        needed.push_back(active.contains(operand) &&
                         isa<RankedTensorType>(operand.getType()));
      SmallVector<Value> operandGrads;
      if (failed(emitOperandGradients(b, op, dy, needed, operandGrads)))
        return failure();
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g)
          accumulate(operand, g);
    }

    SmallVector<Value> result;
    for (Value p : paramValues) {
      Value g = grads.lookup(p);
      result.push_back(g ? g : b.create<ZerosOp>(p.getLoc(), p.getType()));
    }
    return result;
  }

  OpBuilder &builder() { return b; }

private:
  ModuleOp module;
  func::FuncOp forward, loss;
  ArrayRef<Param> params, buffers;
  OpBuilder b;
  SmallVector<Operation *> ops;
  SmallVector<Value> newBuffers;
};

/// State tensors kept per parameter, by name suffix.
SmallVector<StringRef> optimizerStateNames(OptimizerAttr opt) {
  if (opt.getKind() == OptimizerKind::Adam)
    return {alexc::rt::suffix::kExpAvg, alexc::rt::suffix::kExpAvgSq};
  if (opt.getMomentum().convertToDouble() > 0)
    return {alexc::rt::suffix::kMomentum};
  return {};
}

struct AutodiffPass : alexc::nn::impl::NNAutodiffBase<AutodiffPass> {
  using NNAutodiffBase::NNAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(step::kForward);
    auto loss = module.lookupSymbol<func::FuncOp>(step::kLoss);
    if (!forward || !loss) {
      module.emitError() << "nn-autodiff needs func.func @forward and @loss";
      return signalPassFailure();
    }
    if (forward.getNumArguments() < kForwardDataArgs) {
      forward.emitError() << "@forward must take parameters, images, seed, "
                             "step";
      return signalPassFailure();
    }
    for (Type t : llvm::concat<const Type>(forward.getArgumentTypes(),
                                           loss.getArgumentTypes()))
      if (auto shaped = dyn_cast<ShapedType>(t);
          shaped && !shaped.hasStaticShape()) {
        forward.emitError() << "nn-autodiff needs static shapes (run "
                               "nn-shape-inference first), got "
                            << t;
        return signalPassFailure();
      }

    // Parameters are trained; buffers (nn.buffer) are carried from step to
    // step without a gradient.
    SmallVector<Param> params, buffers;
    unsigned numWeights = forward.getNumArguments() - kForwardDataArgs;
    for (unsigned i = 0; i < numWeights; ++i) {
      auto name = forward.getArgAttrOfType<StringAttr>(i, step::kNameAttr);
      auto init = forward.getArgAttrOfType<StringAttr>(i, "nn.init");
      Param p{name ? name.str() : "param" + std::to_string(i),
              cast<RankedTensorType>(forward.getArgumentTypes()[i]), i,
              init && init.getValue() == "ones"};
      (forward.getArgAttr(i, "nn.buffer") ? buffers : params).push_back(p);
    }
    auto opt = module->getAttrOfType<OptimizerAttr>(kOptimizerAttrName);
    auto init = module->getAttrOfType<InitializerAttr>(kInitializerAttrName);
    if (!opt || !init) {
      module.emitError() << "nn-autodiff needs the module's "
                         << kOptimizerAttrName << " and "
                         << kInitializerAttrName << " settings";
      return signalPassFailure();
    }
    StepBuilder sb(module, forward, loss, params, buffers);

    if (failed(buildInit(sb, params, buffers, init)) ||
        failed(buildGradients(sb, params, buffers, forward, loss)) ||
        failed(buildTrainStep(sb, params, buffers, opt, forward, loss)) ||
        failed(buildEvaluation(sb, params, buffers, forward, loss)) ||
        (predict &&
         failed(buildEvaluation(sb, params, buffers, forward, func::FuncOp()))))
      return signalPassFailure();
    forward.erase();
    loss.erase();
  }

  static Type imagesType(func::FuncOp forward) {
    return forward
        .getArgumentTypes()[forward.getNumArguments() - kForwardDataArgs];
  }

  LogicalResult buildInit(StepBuilder &sb, ArrayRef<Param> params,
                          ArrayRef<Param> buffers, InitializerAttr init) {
    OpBuilder &b = sb.builder();
    Signature args, results;
    args.add(b.getI64Type(), step::kSeed);
    for (const Param &p : llvm::concat<const Param>(params, buffers))
      results.add(p.type, p.name);
    auto func = sb.createFunc(step::kInit, args, results);
    Value seed = func.getArgument(0);
    SmallVector<Value> values;
    for (auto [i, p] : llvm::enumerate(params)) {
      Location loc = func.getLoc();
      auto shape = p.type.getShape();
      if (p.ones) { // batch norm's gamma
        values.push_back(b.create<OnesOp>(loc, p.type));
        continue;
      }
      if (shape.size() < 2) { // biases start at zero
        values.push_back(b.create<ZerosOp>(loc, p.type));
        continue;
      }
      // MXNet's Xavier: fans count the kernel window.
      double window = 1;
      for (int64_t d : shape.drop_front(2))
        window *= d;
      double fanIn = shape[1] * window, fanOut = shape[0] * window;
      double scale = std::sqrt(init.getMagnitude().convertToDouble() /
                               ((fanIn + fanOut) / 2));
      auto stream = b.getI64IntegerAttr(i);
      if (init.getKind() == InitializerKind::Normal)
        values.push_back(b.create<RandomNormalOp>(
            loc, p.type, seed,
            b.getF64FloatAttr(init.getSigma().convertToDouble()), stream));
      else if (init.getDistribution() == Distribution::Normal)
        values.push_back(b.create<RandomNormalOp>(
            loc, p.type, seed, b.getF64FloatAttr(scale), stream));
      else
        values.push_back(b.create<RandomUniformOp>(
            loc, p.type, seed, b.getF64FloatAttr(scale), stream));
    }
    for (const Param &p : buffers) // running mean 0, running variance 1
      values.push_back(p.ones
                           ? Value(b.create<OnesOp>(func.getLoc(), p.type))
                           : Value(b.create<ZerosOp>(func.getLoc(), p.type)));
    b.create<func::ReturnOp>(func.getLoc(), values);
    return success();
  }

  /// The parameters and running statistics, as @gradients, @eval_step and
  /// @predict take them (no optimizer state).
  static void addCarried(Signature &args, ArrayRef<Param> params,
                         ArrayRef<Param> buffers) {
    for (const Param &p : params)
      args.add(p.type, p.name, TensorRole::Parameter);
    for (const Param &p : buffers)
      args.add(p.type, p.name, TensorRole::RunningStatistic);
  }

  /// Arguments shared by @gradients and @train_step after the parameters
  /// (and state): images, labels, [lr], seed, step.
  static void addDataArgs(Signature &args, func::FuncOp forward,
                          func::FuncOp loss, OpBuilder &b, bool withLr) {
    args.add(imagesType(forward), step::kImages);
    args.add(loss.getArgumentTypes()[1], step::kLabels);
    if (withLr)
      args.add(b.getF32Type(), step::kLearningRate);
    args.add(b.getI64Type(), step::kSeed);
    args.add(b.getI64Type(), step::kStep);
  }

  static void addMetricResults(Signature &results, func::FuncOp loss,
                               OpBuilder &b) {
    results.add(loss.getResultTypes()[0], step::kLoss);
    results.add(RankedTensorType::get({}, b.getI32Type()), "correct");
  }

  LogicalResult buildGradients(StepBuilder &sb, ArrayRef<Param> params,
                               ArrayRef<Param> buffers, func::FuncOp forward,
                               func::FuncOp loss) {
    OpBuilder &b = sb.builder();
    Signature args, results;
    addCarried(args, params, buffers);
    addDataArgs(args, forward, loss, b, /*withLr=*/false);
    addMetricResults(results, loss, b);
    for (const Param &p : params)
      results.add(p.type, p.name + ".grad");
    auto func = sb.createFunc(step::kGradients, args, results);
    unsigned n = params.size(), d = n + buffers.size();
    ValueRange paramValues = func.getArguments().take_front(n);
    auto [lossValue, correct] = sb.emitForward(
        paramValues, func.getArguments().slice(n, buffers.size()),
        func.getArgument(d), func.getArgument(d + 1), func.getArgument(d + 2),
        func.getArgument(d + 3), !disableDropout, /*training=*/true);
    auto grads = sb.emitBackward(paramValues);
    if (failed(grads))
      return failure();
    SmallVector<Value> rets = {lossValue, correct};
    rets.append(grads->begin(), grads->end());
    b.create<func::ReturnOp>(func.getLoc(), rets);
    return success();
  }

  LogicalResult buildTrainStep(StepBuilder &sb, ArrayRef<Param> params,
                               ArrayRef<Param> buffers, OptimizerAttr opt,
                               func::FuncOp forward, func::FuncOp loss) {
    OpBuilder &b = sb.builder();
    auto stateNames = optimizerStateNames(opt);
    Signature args, results;
    for (const Param &p : params)
      args.add(p.type, p.name, TensorRole::Parameter);
    for (const Param &p : params)
      for (StringRef s : stateNames)
        args.add(p.type, p.name + "." + s.str(), TensorRole::OptimizerState);
    for (const Param &p : buffers)
      args.add(p.type, p.name, TensorRole::RunningStatistic);
    addDataArgs(args, forward, loss, b, /*withLr=*/true);
    addMetricResults(results, loss, b);
    for (const Param &p : params)
      results.add(p.type, p.name);
    for (const Param &p : params)
      for (StringRef s : stateNames)
        results.add(p.type, p.name + "." + s.str());
    for (const Param &p : buffers)
      results.add(p.type, p.name);
    auto func = sb.createFunc(step::kTrainStep, args, results);

    unsigned n = params.size(), ns = stateNames.size();
    ValueRange paramValues = func.getArguments().take_front(n);
    ValueRange state = func.getArguments().slice(n, n * ns);
    ValueRange bufferValues =
        func.getArguments().slice(n + n * ns, buffers.size());
    unsigned d = n + n * ns + buffers.size();
    Value images = func.getArgument(d), labels = func.getArgument(d + 1),
          lr = func.getArgument(d + 2), seed = func.getArgument(d + 3),
          step = func.getArgument(d + 4);
    auto [lossValue, correct] =
        sb.emitForward(paramValues, bufferValues, images, labels, seed, step,
                       !disableDropout, /*training=*/true);
    SmallVector<Value> newBuffers(sb.updatedBuffers());
    auto grads = sb.emitBackward(paramValues);
    if (failed(grads))
      return failure();

    SmallVector<Value> newParams, newState;
    for (unsigned i = 0; i < n; ++i) {
      Value w = paramValues[i], g = (*grads)[i];
      Location loc = func.getLoc();
      if (opt.getKind() == OptimizerKind::Adam) {
        auto update = b.create<AdamUpdateOp>(
            loc, TypeRange{w.getType(), w.getType(), w.getType()}, w, g,
            state[2 * i], state[2 * i + 1], lr, step,
            b.getF64FloatAttr(opt.getBeta1().convertToDouble()),
            b.getF64FloatAttr(opt.getBeta2().convertToDouble()),
            b.getF64FloatAttr(opt.getEpsilon().convertToDouble()),
            b.getF64FloatAttr(opt.getWeightDecay().convertToDouble()));
        newParams.push_back(update.getNewParam());
        newState.push_back(update.getNewExpAvg());
        newState.push_back(update.getNewExpAvgSq());
      } else if (ns == 1) {
        auto update = b.create<SGDMomentumUpdateOp>(
            loc, TypeRange{w.getType(), w.getType()}, w, g, state[i], lr,
            b.getF64FloatAttr(opt.getMomentum().convertToDouble()),
            b.getF64FloatAttr(opt.getWeightDecay().convertToDouble()),
            b.getBoolAttr(opt.getNesterov()));
        newParams.push_back(update.getNewParam());
        newState.push_back(update.getNewMomentumBuffer());
      } else {
        newParams.push_back(b.create<SGDUpdateOp>(
            loc, w.getType(), w, g, lr,
            b.getF64FloatAttr(opt.getWeightDecay().convertToDouble())));
      }
    }
    SmallVector<Value> rets = {lossValue, correct};
    rets.append(newParams);
    rets.append(newState);
    rets.append(newBuffers);
    b.create<func::ReturnOp>(func.getLoc(), rets);
    return success();
  }

  /// The forward pass in evaluation mode (running statistics, no dropout):
  /// @eval_step, returning the loss and the correct count, or without
  /// `loss` @predict, returning the logits (inference executables).
  LogicalResult buildEvaluation(StepBuilder &sb, ArrayRef<Param> params,
                                ArrayRef<Param> buffers, func::FuncOp forward,
                                func::FuncOp loss) {
    OpBuilder &b = sb.builder();
    Signature args, results;
    addCarried(args, params, buffers);
    args.add(imagesType(forward), step::kImages);
    if (loss) {
      args.add(loss.getArgumentTypes()[1], step::kLabels);
      addMetricResults(results, loss, b);
    } else {
      results.add(forward.getResultTypes()[0], "logits");
    }
    auto func =
        sb.createFunc(loss ? step::kEvalStep : step::kPredict, args, results);
    unsigned n = params.size(), d = n + buffers.size();
    auto [first, correct] = sb.emitForward(
        func.getArguments().take_front(n),
        func.getArguments().slice(n, buffers.size()), func.getArgument(d),
        loss ? func.getArgument(d + 1) : Value(), Value(), Value(),
        /*dropout=*/false, /*training=*/false);
    SmallVector<Value> rets = {first};
    if (loss)
      rets.push_back(correct);
    b.create<func::ReturnOp>(func.getLoc(), rets);
    return success();
  }
};

} // namespace
