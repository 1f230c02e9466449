//===- Interpreter.cpp - Reference interpreter for the nn dialect ---------===//
#include "Interpreter/Interpreter.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/NNOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace alexc::nn;

namespace alexc::interp {
namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  return {s.begin(), s.end()};
}

ref::Window window(ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                   ArrayRef<int64_t> p) {
  return {k[0], k[1], s[0], s[1], p[0], p[1]};
}

llvm::Error opError(Operation *op, const llvm::Twine &msg) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "interpreter: '" << op->getName() << "' at " << op->getLoc() << ": "
     << msg;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}

template <typename T> class Executor {
public:
  llvm::Expected<std::vector<RtValue<T>>> run(func::FuncOp func,
                                              std::vector<RtValue<T>> args) {
    Block &body = func.getBody().front();
    if (args.size() != body.getNumArguments())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("interpreter: @{0} takes {1} arguments, got {2}",
                        func.getSymName(), body.getNumArguments(),
                        args.size()));
    for (auto [arg, value] : llvm::zip(body.getArguments(), args)) {
      if (auto type = dyn_cast<RankedTensorType>(arg.getType())) {
        if (!value.isTensor() || value.tensor().shape != shapeOf(arg))
          return llvm::createStringError(
              llvm::inconvertibleErrorCode(),
              llvm::formatv("interpreter: @{0} argument #{1} must be a tensor "
                            "of shape {2}",
                            func.getSymName(), arg.getArgNumber(),
                            formatShape(shapeOf(arg))));
      }
      values[arg] = std::move(value);
    }
    return runBlock(body);
  }

  llvm::Expected<std::vector<RtValue<T>>>
  runBody(Block &block, std::vector<RtValue<T>> args) {
    for (auto [arg, value] : llvm::zip(block.getArguments(), args))
      values[arg] = std::move(value);
    return runBlock(block);
  }

private:
  /// Runs the ops of `block` (whose arguments are already bound) and
  /// returns the operands of its terminator.
  llvm::Expected<std::vector<RtValue<T>>> runBlock(Block &block) {
    // Free each value after its last use: full-size AlexNet in double fits.
    llvm::DenseMap<Value, Operation *> lastUse;
    for (Operation &op : block)
      for (Value v : op.getOperands())
        lastUse[v] = &op;

    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        std::vector<RtValue<T>> results;
        for (Value v : op.getOperands())
          results.push_back(values.lookup(v));
        return results;
      }
      if (auto launch = dyn_cast<kernel::LaunchOp>(op)) {
        // A fused kernel: its body, on its inputs.
        for (auto [arg, input] :
             llvm::zip(launch.getBlock().getArguments(), launch.getInputs()))
          values[arg] = values.lookup(input);
        auto results = runBlock(launch.getBlock());
        if (!results)
          return results.takeError();
        for (auto [r, v] : llvm::zip(launch.getResults(), *results))
          values[r] = std::move(v);
      } else if (llvm::Error err = execute(&op)) {
        return std::move(err);
      }
      for (Value v : op.getOperands())
        if (lastUse.lookup(v) == &op)
          values.erase(v);
    }
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "interpreter: block has no terminator");
  }

  static std::string formatShape(const std::vector<int64_t> &s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i)
      r += (i ? "x" : "") + std::to_string(s[i]);
    return r;
  }

  const ref::Tensor<T> &t(Value v) { return values[v].tensor(); }
  const ref::Tensor<T> *optional(Value v) { return v ? &t(v) : nullptr; }
  int64_t i(Value v) { return values[v].getInt(); }
  T s(Value v) { return values[v].getScalar(); }
  void set(Value v, ref::Tensor<T> x) { values[v] = RtValue<T>(std::move(x)); }
  void setScalar(Value v, T x) {
    ref::Tensor<T> r(std::vector<int64_t>{});
    r[0] = x;
    set(v, std::move(r));
  }

  /// Kernel window of a convolution from its weight's shape.
  static ref::Window convWindow(Value weight, ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding) {
    auto w = shapeOf(weight);
    return window({w[2], w[3]}, strides, padding);
  }

  /// Same elements, the result's shape.
  bool reshape(Operation *o) {
    ref::Tensor<T> y = t(o->getOperand(0));
    y.shape = shapeOf(o->getResult(0));
    set(o->getResult(0), std::move(y));
    return true;
  }

  /// Forward layers, the loss and views.
  bool executeForward(Operation *op) {
    return llvm::TypeSwitch<Operation *, bool>(op)
        .Case([&](Conv2DOp o) {
          set(o,
              ref::conv2d(
                  t(o.getInput()), t(o.getWeight()), optional(o.getBias()),
                  convWindow(o.getWeight(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](MaxPool2DOp o) {
          set(o, ref::maxPool2d(
                     t(o.getInput()),
                     window(o.getWindow(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](AvgPool2DOp o) {
          set(o, ref::avgPool2d(
                     t(o.getInput()),
                     window(o.getWindow(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](GlobalAvgPool2DOp o) {
          auto in = shapeOf(o.getInput());
          set(o,
              ref::avgPool2d(t(o.getInput()),
                             window({in[2], in[3]}, {in[2], in[3]}, {0, 0})));
          return true;
        })
        .Case([&](BatchNormTrainOp o) {
          ref::Tensor<T> y, mean, invstd, newMean, newVar;
          ref::batchNormTrain(t(o.getInput()), t(o.getRunningMean()),
                              t(o.getRunningVar()), optional(o.getGamma()),
                              optional(o.getBeta()),
                              o.getMomentum().convertToDouble(),
                              o.getEpsilon().convertToDouble(), y, mean, invstd,
                              newMean, newVar);
          set(o.getOutput(), std::move(y));
          set(o.getMean(), std::move(mean));
          set(o.getInvstd(), std::move(invstd));
          set(o.getNewRunningMean(), std::move(newMean));
          set(o.getNewRunningVar(), std::move(newVar));
          return true;
        })
        .Case([&](BatchNormInferenceOp o) {
          set(o, ref::batchNormInference(t(o.getInput()), t(o.getMean()),
                                         t(o.getVar()), optional(o.getGamma()),
                                         optional(o.getBeta()),
                                         o.getEpsilon().convertToDouble()));
          return true;
        })
        .Case([&](ConcatOp o) {
          std::vector<const ref::Tensor<T> *> inputs;
          for (Value v : o.getInputs())
            inputs.push_back(&t(v));
          set(o, ref::concat(inputs));
          return true;
        })
        .Case([&](AddOp o) {
          set(o, ref::add(t(o.getLhs()), t(o.getRhs())));
          return true;
        })
        .Case([&](DenseOp o) {
          set(o, ref::dense(t(o.getInput()), t(o.getWeight()),
                            optional(o.getBias())));
          return true;
        })
        .Case([&](FlattenOp o) { return reshape(o); })
        .Case([&](kernel::ViewOp o) { return reshape(o); })
        .Case([&](ReshapeOp o) { return reshape(o); })
        .Case([&](ReluOp o) {
          set(o, ref::relu(t(o.getInput())));
          return true;
        })
        .Case([&](SigmoidOp o) {
          set(o, ref::sigmoid(t(o.getInput())));
          return true;
        })
        .Case([&](TanhOp o) {
          set(o, ref::tanh(t(o.getInput())));
          return true;
        })
        .Case([&](DropoutOp o) {
          set(o, ref::dropout(t(o.getInput()), i(o.getSeed()), i(o.getStep()),
                              o.getStream(), o.getRate().convertToFloat()));
          return true;
        })
        .Case([&](SoftmaxCrossEntropyOp o) {
          setScalar(
              o, ref::softmaxCrossEntropy(t(o.getLogits()), t(o.getLabels())));
          return true;
        })
        .Case([&](CountCorrectOp o) {
          setScalar(o,
                    T(ref::countCorrect(t(o.getLogits()), t(o.getLabels()))));
          return true;
        })
        .Default([&](Operation *) { return false; });
  }

  /// Gradient ops.
  bool executeGradient(Operation *op) {
    return llvm::TypeSwitch<Operation *, bool>(op)
        .Case([&](Conv2DInputGradOp o) {
          set(o,
              ref::conv2dInputGrad(
                  t(o.getOutputGrad()), t(o.getWeight()), shapeOf(o),
                  convWindow(o.getWeight(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](Conv2DWeightGradOp o) {
          set(o, ref::conv2dWeightGrad(
                     t(o.getInput()), t(o.getOutputGrad()), shapeOf(o),
                     convWindow(o, o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](BiasGradOp o) {
          set(o, ref::biasGrad(t(o.getOutputGrad())));
          return true;
        })
        .Case([&](MaxPool2DGradOp o) {
          set(o, ref::maxPool2dGrad(
                     t(o.getInput()), t(o.getOutputGrad()),
                     window(o.getWindow(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](AvgPool2DGradOp o) {
          set(o, ref::avgPool2dGrad(
                     t(o.getOutputGrad()), shapeOf(o),
                     window(o.getWindow(), o.getStrides(), o.getPadding())));
          return true;
        })
        .Case([&](DenseInputGradOp o) {
          set(o, ref::denseInputGrad(t(o.getOutputGrad()), t(o.getWeight())));
          return true;
        })
        .Case([&](DenseWeightGradOp o) {
          set(o, ref::denseWeightGrad(t(o.getInput()), t(o.getOutputGrad())));
          return true;
        })
        .Case([&](ReluGradOp o) {
          set(o, ref::reluGrad(t(o.getOutput()), t(o.getOutputGrad())));
          return true;
        })
        .Case([&](SigmoidGradOp o) {
          set(o, ref::sigmoidGrad(t(o.getOutput()), t(o.getOutputGrad())));
          return true;
        })
        .Case([&](TanhGradOp o) {
          set(o, ref::tanhGrad(t(o.getOutput()), t(o.getOutputGrad())));
          return true;
        })
        .Case([&](DropoutGradOp o) {
          set(o,
              ref::dropout(t(o.getOutputGrad()), i(o.getSeed()), i(o.getStep()),
                           o.getStream(), o.getRate().convertToFloat()));
          return true;
        })
        .Case([&](SoftmaxCrossEntropyGradOp o) {
          set(o,
              ref::softmaxCrossEntropyGrad(t(o.getLogits()), t(o.getLabels())));
          return true;
        })
        .Case([&](BatchNormGradOp o) {
          ref::Tensor<T> dx, dgamma, dbeta;
          ref::batchNormGrad(t(o.getInput()), t(o.getOutputGrad()),
                             t(o.getMean()), t(o.getInvstd()),
                             optional(o.getGamma()), dx, dgamma, dbeta);
          set(o.getInputGrad(), std::move(dx));
          set(o.getGammaGrad(), std::move(dgamma));
          set(o.getBetaGrad(), std::move(dbeta));
          return true;
        })
        .Case([&](SliceOp o) {
          set(o, ref::slice(t(o.getInput()), o.getOffset(), shapeOf(o)[1]));
          return true;
        })
        .Default([&](Operation *) { return false; });
  }

  /// Optimizer updates and initializers.
  bool executeUpdateOrInit(Operation *op) {
    return llvm::TypeSwitch<Operation *, bool>(op)
        .Case([&](SGDUpdateOp o) {
          set(o, ref::sgd(t(o.getParam()), t(o.getGrad()), s(o.getLr()),
                          T(o.getWeightDecay().convertToDouble())));
          return true;
        })
        .Case([&](SGDMomentumUpdateOp o) {
          ref::Tensor<T> w, buf;
          ref::sgdMomentum(
              t(o.getParam()), t(o.getGrad()), t(o.getMomentumBuffer()),
              s(o.getLr()), T(o.getMomentum().convertToDouble()),
              T(o.getWeightDecay().convertToDouble()), o.getNesterov(), w, buf);
          set(o.getNewParam(), std::move(w));
          set(o.getNewMomentumBuffer(), std::move(buf));
          return true;
        })
        .Case([&](AdamUpdateOp o) {
          ref::Tensor<T> w, m, v;
          ref::adam(t(o.getParam()), t(o.getGrad()), t(o.getExpAvg()),
                    t(o.getExpAvgSq()), s(o.getLr()), i(o.getStep()),
                    T(o.getBeta1().convertToDouble()),
                    T(o.getBeta2().convertToDouble()),
                    T(o.getEpsilon().convertToDouble()),
                    T(o.getWeightDecay().convertToDouble()), w, m, v);
          set(o.getNewParam(), std::move(w));
          set(o.getNewExpAvg(), std::move(m));
          set(o.getNewExpAvgSq(), std::move(v));
          return true;
        })
        // Initialization
        .Case([&](RandomUniformOp o) {
          set(o,
              ref::randomUniform<T>(shapeOf(o), i(o.getSeed()), o.getStream(),
                                    o.getBound().convertToDouble()));
          return true;
        })
        .Case([&](RandomNormalOp o) {
          set(o, ref::randomNormal<T>(shapeOf(o), i(o.getSeed()), o.getStream(),
                                      o.getStddev().convertToDouble()));
          return true;
        })
        .Case([&](ZerosOp o) {
          set(o, ref::Tensor<T>(shapeOf(o)));
          return true;
        })
        .Case([&](OnesOp o) {
          set(o, ref::Tensor<T>(shapeOf(o), T(1)));
          return true;
        })
        .Default([&](Operation *) { return false; });
  }

  llvm::Error execute(Operation *op) {
    if (!executeForward(op) && !executeGradient(op) && !executeUpdateOrInit(op))
      return opError(op, "not supported by the reference interpreter");
    return llvm::Error::success();
  }

  llvm::DenseMap<Value, RtValue<T>> values;
};

} // namespace

template <typename T>
llvm::Expected<std::vector<RtValue<T>>>
interpret(func::FuncOp func, std::vector<RtValue<T>> args) {
  return Executor<T>().run(func, std::move(args));
}

template llvm::Expected<std::vector<RtValue<float>>>
    interpret<float>(func::FuncOp, std::vector<RtValue<float>>);
template llvm::Expected<std::vector<RtValue<double>>>
    interpret<double>(func::FuncOp, std::vector<RtValue<double>>);

template <typename T>
llvm::Expected<std::vector<RtValue<T>>>
interpretBlock(Block &block, std::vector<RtValue<T>> args) {
  return Executor<T>().runBody(block, std::move(args));
}

template llvm::Expected<std::vector<RtValue<float>>>
interpretBlock<float>(Block &, std::vector<RtValue<float>>);

} // namespace alexc::interp
