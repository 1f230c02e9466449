//===- Checkpoint.cpp - Saving and resuming a training run ----------------===//
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Safetensors.h"
#include "runtime/train/TrainOptions.h"

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
                    const Progress &p, std::string &error,
                    const std::vector<std::string> &classNames) {
  Safetensors st;
  auto add = [&](const NamedShape &t) {
    std::vector<float> data(t.numElements());
    ex.readTensor(t.name, data.data());
    st.tensors[t.name] = StoredTensor::fromFloat(t.shape, data.data());
  };
  for (const auto *list : {&c.params, &c.state, &c.statistics})
    for (const NamedShape &t : *list)
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
  if (!classNames.empty())
    st.metadata["classes"] = nlohmann::json(classNames).dump();
  return writeSafetensors(path, st, error);
}

namespace {

/// Copies the file's tensor `t` into the executor, checking its shape.
bool loadTensor(const Safetensors &st, const std::string &path,
                const NamedShape &t, Executor &ex, std::string &error) {
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
}

bool loadAll(const Safetensors &st, const std::string &path,
             const std::vector<NamedShape> &list, Executor &ex,
             std::string &error) {
  for (const NamedShape &t : list)
    if (!loadTensor(st, path, t, ex, error))
      return false;
  return true;
}

/// The run's progress from a checkpoint's metadata, after checking that it
/// is a checkpoint of this model.
bool readProgress(const Safetensors &st, const std::string &path,
                  const ModelConfig &c, Progress &progress,
                  std::string &error) {
  auto meta = [&](const char *k) {
    auto it = st.metadata.find(k);
    return it == st.metadata.end() ? std::string() : it->second;
  };
  if (meta("format") != "alexc-checkpoint-1") {
    error = path + ": not an alexc checkpoint (no format metadata)";
    return false;
  }
  if (meta("spec_hash") != c.specHash) {
    error = path + ": checkpoint of model '" + meta("model") + "' (spec hash " +
            meta("spec_hash") + "), but this executable is model '" + c.name +
            "' (spec hash " + c.specHash + ")";
    return false;
  }
  auto num = [&](const char *k, int64_t &out) {
    if (!parseInt(meta(k), out)) {
      error = path + ": checkpoint metadata '" + k + "' is missing or bad";
      return false;
    }
    return true;
  };
  int64_t seed;
  if (!num("step", progress.step) || !num("epoch", progress.epoch) ||
      !num("batch_in_epoch", progress.batchInEpoch) || !num("seed", seed) ||
      !num("correct", progress.correct) || !num("count", progress.count))
    return false;
  progress.seed = uint64_t(seed);
  progress.lossSum = std::strtod(meta("loss_sum").c_str(), nullptr);
  return true;
}

} // namespace

bool loadCheckpoint(const std::string &path, Executor &ex, const ModelConfig &c,
                    Progress &progress, std::string &error) {
  Safetensors st;
  return readSafetensors(path, st, error) &&
         readProgress(st, path, c, progress, error) &&
         loadAll(st, path, c.params, ex, error) &&
         loadAll(st, path, c.state, ex, error) &&
         loadAll(st, path, c.statistics, ex, error);
}

bool loadWeights(const std::string &path, Executor &ex, const ModelConfig &c,
                 Statistics statistics, std::string &error) {
  Safetensors st;
  if (!readSafetensors(path, st, error) ||
      !loadAll(st, path, c.params, ex, error))
    return false;
  for (const NamedShape &t : c.statistics)
    if ((statistics == Statistics::Required || st.tensors.count(t.name)) &&
        !loadTensor(st, path, t, ex, error))
      return false;
  return true;
}

} // namespace alexc::rt
