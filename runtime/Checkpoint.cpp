//===- Checkpoint.cpp - Saving and resuming a training run ----------------===//
#include "runtime/Checkpoint.h"
#include "runtime/Safetensors.h"
#include "runtime/TrainOptions.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace alexc::rt {

namespace {
std::string hexDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}
} // namespace

bool saveCheckpoint(const std::string &path, Executor &ex, const ModelConfig &c,
                    const Progress &p, std::string &error) {
  Safetensors st;
  auto add = [&](const NamedShape &t) {
    std::vector<float> data(t.numElements());
    ex.readTensor(t.name, data.data());
    st.tensors[t.name] = StoredTensor::fromFloat(t.shape, data.data());
  };
  for (const NamedShape &t : c.params)
    add(t);
  for (const NamedShape &t : c.state)
    add(t);
  st.metadata = {{"format", "alexc-checkpoint-1"},
                 {"model", c.name},
                 {"spec_hash", c.specHash},
                 {"step", std::to_string(p.step)},
                 {"epoch", std::to_string(p.epoch)},
                 {"batch_in_epoch", std::to_string(p.batchInEpoch)},
                 {"seed", std::to_string(p.seed)},
                 {"loss_sum", hexDouble(p.lossSum)},
                 {"correct", std::to_string(p.correct)},
                 {"count", std::to_string(p.count)}};
  return writeSafetensors(path, st, error);
}

static bool isRunningStatistic(const std::string &name) {
  auto endsWith = [&](const std::string &suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  return endsWith(".running_mean") || endsWith(".running_var");
}

bool loadTensors(const std::string &path, Executor &ex, const ModelConfig &c,
                 Progress *progress, std::string &error) {
  Safetensors st;
  if (!readSafetensors(path, st, error))
    return false;
  if (progress) {
    auto meta = [&](const char *k) {
      auto it = st.metadata.find(k);
      return it == st.metadata.end() ? std::string() : it->second;
    };
    if (meta("format") != "alexc-checkpoint-1") {
      error = path + ": not an alexc checkpoint (no format metadata)";
      return false;
    }
    if (meta("spec_hash") != c.specHash) {
      error = path + ": checkpoint of model '" + meta("model") +
              "' (spec hash " + meta("spec_hash") +
              "), but this executable is model '" + c.name + "' (spec hash " +
              c.specHash + ")";
      return false;
    }
    int64_t v;
    auto num = [&](const char *k, int64_t &out) {
      if (!parseInt(meta(k), v)) {
        error = path + ": checkpoint metadata '" + k + "' is missing or bad";
        return false;
      }
      out = v;
      return true;
    };
    int64_t seed;
    if (!num("step", progress->step) || !num("epoch", progress->epoch) ||
        !num("batch_in_epoch", progress->batchInEpoch) || !num("seed", seed) ||
        !num("correct", progress->correct) || !num("count", progress->count))
      return false;
    progress->seed = uint64_t(seed);
    progress->lossSum = std::strtod(meta("loss_sum").c_str(), nullptr);
  }
  auto load = [&](const NamedShape &t) {
    auto it = st.tensors.find(t.name);
    if (it == st.tensors.end()) {
      error = path + ": has no tensor '" + t.name + "'";
      return false;
    }
    if (it->second.shape != t.shape) {
      std::string want, got;
      for (int64_t d : t.shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int64_t d : it->second.shape)
        got += (got.empty() ? "" : "x") + std::to_string(d);
      error = path + ": tensor '" + t.name + "' is " + got +
              ", the model needs " + want;
      return false;
    }
    std::vector<float> data = it->second.toFloat();
    ex.writeTensor(t.name, data.data());
    return true;
  };
  for (const NamedShape &t : c.params)
    if (!load(t))
      return false;
  if (progress) {
    for (const NamedShape &t : c.state)
      if (!load(t))
        return false;
    return true;
  }
  // --init: batch norm's running statistics too, when the file has them.
  for (const NamedShape &t : c.state)
    if (isRunningStatistic(t.name) && st.tensors.count(t.name) && !load(t))
      return false;
  return true;
}

} // namespace alexc::rt
