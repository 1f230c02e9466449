//===- TrainOptions.h - The training executable's command line --*- C++ -*-===//
#ifndef ALEXC_RUNTIME_TRAINOPTIONS_H
#define ALEXC_RUNTIME_TRAINOPTIONS_H

#include "runtime/train/Trainer.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace alexc::rt {

/// The executable's command line (`--help` lists it).
struct TrainOptions {
  std::string data, device = "auto", init, save, resume, log, dumpBatches;
  std::string dataCache; // --data-cache DIR
  DeviceOptions deviceOptions;
  std::vector<std::pair<std::string, std::string>> variants; // --variant
  int64_t epochs = -1, seed = 0, threads = 0, limitTrain = -1, limitTest = -1;
  int64_t steps = -1, saveEvery = 0;
  double lr = -1;
  bool shuffle = true, dropout = true, evalOnly = false, quiet = false,
       profile = false, help = false, seedGiven = false, skipBadImages = false,
       inputOnly = false;
  int64_t dataThreads = 0; // --data-threads; 0: the default
};

/// Prints --help for the compiled model (its defaults come from the spec).
void printHelp(const char *program, const ModelConfig &c);

/// Parses argv into `o`; false with a one-line `error` on a bad flag.
bool parseTrainOptions(int argc, char **argv, TrainOptions &o,
                       std::string &error);

/// Checks each `--variant` against the model's kernels and passes them on
/// as DeviceOptions::variants.
bool checkVariants(const ModelConfig &c, TrainOptions &o, std::string &error);

/// A whole decimal integer (no sign check), false if `s` is not one.
bool parseInt(const std::string &s, int64_t &out);

} // namespace alexc::rt

#endif
