//===- TrainOptions.cpp - The training executable's command line ----------===//
#include "runtime/train/TrainOptions.h"
#include "runtime/gpu/TuningCache.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace alexc::rt {

void printHelp(const char *program, const ModelConfig &c) {
  std::printf(
      "Usage: %s [options]\n\n"
      "Trains the compiled model '%s' (batch %" PRId64 ", input %" PRId64
      "x%" PRId64 "x%" PRId64 ", %" PRId64 " classes) and evaluates it\n"
      "after every epoch, printing one line per epoch.\n\n"
      "Options (defaults come from the model spec):\n"
      "  --data DIR|fashion-mnist  the dataset folder: IDX .gz files, "
      "CIFAR-10 or\n"
      "                            CIFAR-100 binary files, or images in "
      "ImageFolder\n"
      "                            layout "
      "(DIR/train/<class>/*.jpg|png|ppm|pgm, "
      "DIR/test\n"
      "                            or DIR/val likewise); fashion-mnist =\n"
      "                            /usr/share/datasets/fashion-mnist "
      "(default: %s)\n"
      "  --data-cache DIR          keep image folders, once decoded, in DIR; "
      "a later\n"
      "                            run over unchanged files reads them "
      "from there\n"
      "  --skip-bad-images         leave out images that do not decode (each "
      "listed)\n"
      "                            instead of stopping at the first\n"
      "  --dump-batches FILE       write each training step's batch, its "
      "examples'\n"
      "                            indices and the transforms' decisions to "
      "FILE\n"
      "                            (safetensors; for checking, with "
      "--steps)\n"
      "  --input-only              run every batch through the input "
      "pipeline and\n"
      "                            print images/s per epoch; no training\n"
      "  --data-threads N          threads preparing the next batch while "
      "the step\n"
      "                            runs (default: a quarter of the cores, at "
      "least 1;\n"
      "                            all of them with --input-only); decoding "
      "at\n"
      "                            start-up uses every core\n"
      "  --device auto|cpu|cuda    where to train (default: auto, the GPU when "
      "usable)\n"
      "  --gemm generated|cublas|cudnn|auto\n"
      "                            GPU convolutions and GEMMs: generated "
      "kernels,\n"
      "                            cuBLAS, cuDNN (convolutions), or the "
      "fastest\n"
      "                            of each, timed at start-up (default: auto)\n"
      "  --precision fp32|tf32\n"
      "                            lowest precision of the GPU libraries' "
      "matrix\n"
      "                            math: tf32 (default, as PyTorch's cuDNN) "
      "lets\n"
      "                            cuBLAS and cuDNN round inputs to TF32 "
      "(fp32\n"
      "                            tensors and sums)\n"
      "  --variant KERNEL=generated|cublas|cudnn\n"
      "                            run one GPU kernel's convolution or GEMM "
      "this way,\n"
      "                            whatever --gemm says (repeatable; "
      "--profile\n"
      "                            lists the kernels)\n"
      "  --deterministic           GPU: reductions without atomics (max-pool "
      "gradient\n"
      "                            by gather, weight gradients without "
      "split-K) "
      "and\n"
      "                            deterministic cuDNN algorithms, so runs "
      "repeat bit\n"
      "                            for bit (slower; CPU runs always repeat)\n"
      "  --tuning-cache FILE|off   where the GPU's measured choices (kernel "
      "variant,\n"
      "                            cuDNN algorithm) are kept for later runs\n"
      "                            (default: ~/.cache/alexc/tuning.txt)\n"
      "  --epochs N                number of epochs (default: %" PRId64 ")\n"
      "  --lr X                    learning rate (default: %g)\n"
      "  --seed N                  seed of initialization, shuffling and "
      "dropout (default: 0)\n"
      "  --threads N               CPU threads (default: all cores)\n"
      "  --limit-train N           use only the first N training examples\n"
      "  --limit-test N            evaluate only the first N test examples\n"
      "  --steps N                 stop once N training steps have run in "
      "total\n"
      "                            (counting the steps of a resumed run)\n"
      "  --no-shuffle              visit training examples in file order\n"
      "  --disable-dropout         train with dropout layers passing "
      "everything\n"
      "  --init FILE               start from the parameters in FILE "
      "(safetensors)\n"
      "  --save FILE               checkpoint to FILE after every epoch, at "
      "the "
      "end,\n"
      "                            and on SIGINT (Ctrl-C), SIGTERM or "
      "SIGUSR1,\n"
      "                            which then end the run (exit 128 + signal)\n"
      "  --save-every N            also checkpoint every N training steps\n"
      "  --resume FILE             continue the run saved in FILE exactly "
      "where it stopped\n"
      "  --log FILE                write JSON Lines: one object per step and "
      "per epoch\n"
      "  --eval-only               evaluate the test set and exit\n"
      "  --profile                 print the time of every kernel at the end\n"
      "  --quiet                   no progress bar or notes\n"
      "  --help                    this text\n"
      "\nData-parallel training: mpirun -np N %s [options] splits each "
      "step's\n%" PRId64 " rows over N processes (CPU; build with alexc "
      "--ranks N so that each\nstep takes its share; docs/distributed.md).\n",
      program, c.name.c_str(), c.globalBatch, c.channels, c.height, c.width,
      c.classes, c.dataset.c_str(), c.epochs, c.learningRate, program,
      c.globalBatch);
}

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || errno)
    return false;
  out = v;
  return true;
}

namespace {

/// Reads one flag and its value, `--flag VALUE` or `--flag=VALUE`.
class ArgReader {
public:
  ArgReader(int argc, char **argv, std::string &error)
      : argc(argc), argv(argv), error(error) {}

  /// Moves to the next argument; false at the end.
  bool advance() {
    if (++i >= argc)
      return false;
    arg = argv[i];
    value.clear();
    hasValue = false;
    if (auto eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    return true;
  }
  const std::string &name() const { return arg; }

  bool fail(const std::string &message) {
    error = message;
    return false;
  }
  bool flag(bool &target, bool v) {
    if (hasValue)
      return fail(arg + " takes no value");
    target = v;
    return true;
  }
  bool next(std::string &target) {
    if (!hasValue) {
      if (i + 1 >= argc)
        return fail(arg + " needs a value");
      value = argv[++i];
    }
    target = value;
    return true;
  }
  bool number(int64_t &target, int64_t min) {
    std::string s;
    if (!next(s))
      return false;
    if (!parseInt(s, target) || target < min)
      return fail(arg + " needs an integer >= " + std::to_string(min) +
                  ", got '" + s + "'");
    return true;
  }
  bool positive(double &target) {
    std::string s;
    if (!next(s))
      return false;
    char *end = nullptr;
    target = std::strtod(s.c_str(), &end);
    if (s.empty() || *end || !(target > 0))
      return fail(arg + " needs a positive number, got '" + s + "'");
    return true;
  }

private:
  int argc;
  char **argv;
  std::string &error;
  int i = 0;
  std::string arg, value;
  bool hasValue = false;
};

/// The GPU flags; `known` false if the flag is not one of them.
bool parseDeviceFlag(ArgReader &r, TrainOptions &o, bool &known) {
  const std::string &arg = r.name();
  DeviceOptions &d = o.deviceOptions;
  known = true;
  if (arg == "--device") {
    if (!r.next(o.device))
      return false;
    if (o.device != "auto" && o.device != "cpu" && o.device != "cuda")
      return r.fail("--device must be auto, cpu or cuda, got '" + o.device +
                    "'");
  } else if (arg == "--gemm") {
    if (!r.next(d.gemm))
      return false;
    if (!isVariantName(d.gemm) && d.gemm != "auto")
      return r.fail("--gemm must be generated, cublas, cudnn or auto");
  } else if (arg == "--precision") {
    if (!r.next(d.precision))
      return false;
    if (d.precision == "bf16")
      return r.fail("--precision bf16 is not offered: alexc has no bf16 "
                    "tensors yet (docs/cuda.md); use tf32 or fp32");
    if (!isPrecisionName(d.precision))
      return r.fail("--precision must be fp32 or tf32");
  } else if (arg == "--variant") {
    std::string v;
    if (!r.next(v))
      return false;
    size_t eq = v.find('=');
    std::string variant = eq == std::string::npos ? "" : v.substr(eq + 1);
    if (eq == std::string::npos || eq == 0 || !isVariantName(variant))
      return r.fail("--variant needs KERNEL=generated|cublas|cudnn, got '" + v +
                    "'");
    o.variants.push_back({v.substr(0, eq), variant});
  } else if (arg == "--deterministic") {
    d.deterministic = true;
  } else if (arg == "--tuning-cache") {
    if (!r.next(d.tuningCache))
      return false;
    if (d.tuningCache.empty())
      return r.fail("--tuning-cache needs a file name, or off");
    if (d.tuningCache == "off")
      d.tuningCache.clear();
  } else {
    known = false;
  }
  return true;
}

/// Every other flag.
bool parseRunFlag(ArgReader &r, TrainOptions &o) {
  const std::string &arg = r.name();
  if (arg == "--help" || arg == "-h")
    return r.flag(o.help, true);
  if (arg == "--data")
    return r.next(o.data);
  if (arg == "--skip-bad-images")
    return r.flag(o.skipBadImages, true);
  if (arg == "--data-cache")
    return r.next(o.dataCache);
  if (arg == "--input-only")
    return r.flag(o.inputOnly, true);
  if (arg == "--data-threads")
    return r.number(o.dataThreads, 1);
  if (arg == "--dump-batches")
    return r.next(o.dumpBatches);
  if (arg == "--epochs")
    return r.number(o.epochs, 0);
  if (arg == "--lr")
    return r.positive(o.lr);
  if (arg == "--seed") {
    o.seedGiven = true;
    return r.number(o.seed, 0);
  }
  if (arg == "--threads")
    return r.number(o.threads, 1);
  if (arg == "--limit-train")
    return r.number(o.limitTrain, 1);
  if (arg == "--limit-test")
    return r.number(o.limitTest, 1);
  if (arg == "--steps")
    return r.number(o.steps, 0);
  if (arg == "--no-shuffle")
    return r.flag(o.shuffle, false);
  if (arg == "--disable-dropout")
    return r.flag(o.dropout, false);
  if (arg == "--init")
    return r.next(o.init);
  if (arg == "--save")
    return r.next(o.save);
  if (arg == "--save-every")
    return r.number(o.saveEvery, 1);
  if (arg == "--resume")
    return r.next(o.resume);
  if (arg == "--log")
    return r.next(o.log);
  if (arg == "--eval-only")
    return r.flag(o.evalOnly, true);
  if (arg == "--profile")
    return r.flag(o.profile, true);
  if (arg == "--quiet")
    return r.flag(o.quiet, true);
  return r.fail("unknown option '" + arg + "' (see --help)");
}

} // namespace

bool parseTrainOptions(int argc, char **argv, TrainOptions &o,
                       std::string &error) {
  o.deviceOptions.tuningCache = TuningCache::defaultPath();
  ArgReader r(argc, argv, error);
  while (r.advance()) {
    bool known = false;
    if (!parseDeviceFlag(r, o, known))
      return false;
    if (!known && !parseRunFlag(r, o))
      return false;
  }
  if (!o.init.empty() && !o.resume.empty()) {
    error = "--init and --resume cannot be used together";
    return false;
  }
  if (o.saveEvery > 0 && o.save.empty()) {
    error = "--save-every needs --save FILE";
    return false;
  }
  return true;
}

bool checkVariants(const ModelConfig &c, TrainOptions &o, std::string &error) {
  std::string names;
  for (auto &[name, kind] : c.gemmKernels)
    names += (names.empty() ? "" : ", ") + name;
  for (auto &[kernel, variant] : o.variants) {
    const std::string *kind = nullptr;
    for (auto &[name, k] : c.gemmKernels)
      if (name == kernel)
        kind = &k;
    if (!kind) {
      error = "--variant " + kernel + "=" + variant + ": model '" + c.name +
              "' has no kernel '" + kernel +
              "' with a convolution or GEMM; it has " +
              (names.empty() ? std::string("none") : names);
      return false;
    }
    if (variant == "cudnn" && *kind != "conv") {
      error = "--variant " + kernel + "=cudnn: '" + kernel +
              "' is a dense layer's GEMM; cudnn covers convolutions only";
      return false;
    }
    o.deviceOptions.variants +=
        (o.deviceOptions.variants.empty() ? "" : ",") + kernel + "=" + variant;
  }
  return true;
}

} // namespace alexc::rt
