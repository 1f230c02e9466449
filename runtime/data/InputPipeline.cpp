//===- InputPipeline.cpp - Batches prepared while the step runs -----------===//
#include "runtime/data/InputPipeline.h"

#include <chrono>
#include <cstdio>

namespace alexc::rt {
namespace {

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::string classList(const std::vector<std::string> &names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == 8 && names.size() > 10) {
      s += ", ... " + names.back();
      break;
    }
    s += (i ? ", " : "") + names[i];
  }
  return s;
}

} // namespace

InputPipeline::~InputPipeline() {
  if (!worker.joinable())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_one();
  worker.join();
}

void InputPipeline::serve() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    wake.wait(lock, [&] { return stopping || job; });
    if (!job)
      return;
    std::function<void()> run = std::move(job);
    job = nullptr;
    lock.unlock();
    run();
    lock.lock();
    busy = false;
    finished.notify_all();
  }
}

bool InputPipeline::load(const std::string &data, bool withTrain,
                         const LoadOptions &o, bool quiet, std::string &error) {
  DataLocation where;
  if (!locateData(data, where, error))
    return false;
  std::vector<std::string> skipped;
  auto t0 = std::chrono::steady_clock::now();
  if (withTrain && !loadDataSplit(where, true, o, trainSet, skipped, error))
    return false;
  if (!loadDataSplit(where, false, o, testSet, skipped, error))
    return false;
  if (withTrain && trainSet.classNames != testSet.classNames &&
      where.format == DataFormat::ImageFolder) {
    error = where.folder + ": the test classes (" +
            classList(testSet.classNames) +
            ") differ from the train classes (" +
            classList(trainSet.classNames) + ")";
    return false;
  }
  for (const std::string &s : skipped)
    std::fprintf(stderr, "warning: skipped %s\n", s.c_str());
  if (!quiet) {
    const Dataset &d = testSet;
    double mb = double(trainSet.images.size() + testSet.images.size()) / 1e6;
    std::string shape =
        d.uniform() && trainSet.uniform()
            ? std::to_string(d.channels) + "x" + std::to_string(d.rows) + "x" +
                  std::to_string(d.cols)
            : std::to_string(d.channels) + " channels, mixed sizes";
    std::fprintf(stderr,
                 "note: data: %s (%s): %lld train and %lld test images, "
                 "%s, %.0f MB as uint8, read in %.2f s%s%s\n",
                 where.folder.c_str(), dataFormatName(where.format),
                 (long long)trainSet.count, (long long)testSet.count,
                 shape.c_str(), mb, secondsSince(t0),
                 d.classNames.empty() ? "" : "; classes: ",
                 classList(d.classNames).c_str());
    if (!skipped.empty())
      std::fprintf(stderr, "note: %zu bad images skipped (listed above)\n",
                   skipped.size());
  }
  if (withTrain) {
    trainRows = std::make_unique<BatchAssembler>(
        trainSet, c.transforms.train, TransformList::Train, c.channels,
        c.height, c.width, c.resize);
    if (!trainRows->checkSize(error))
      return false;
  }
  testRows = std::make_unique<BatchAssembler>(testSet, c.transforms.test,
                                              TransformList::Test, c.channels,
                                              c.height, c.width, c.resize);
  return testRows->checkSize(error);
}

void InputPipeline::fill(Buffer &b, const BatchRequest &r) {
  auto t0 = std::chrono::steady_clock::now();
  const BatchAssembler &rows = r.train ? *trainRows : *testRows;
  size_t batch = size_t(c.batchSize);
  b.images.resize(batch * size_t(c.channels * c.height * c.width));
  b.labels.resize(batch);
  if (record)
    b.decisions.assign(batch * rows.transformCount(), Decision{});
  rows.fill(r.indices.data(), int64_t(r.indices.size()), c.batchSize, r.seed,
            r.epoch, b.images.data(), b.labels.data(),
            record ? b.decisions.data() : nullptr, threads);
  b.request = r;
  b.seconds = secondsSince(t0);
}

void InputPipeline::join() {
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return !busy; });
}

PreparedBatch InputPipeline::take(const BatchRequest &r) {
  Buffer &ahead = buffers[next];
  if (pending && ahead.request == r) {
    auto t0 = std::chrono::steady_clock::now();
    join();
    waitSeconds += secondsSince(t0);
  } else {
    join(); // a batch asked for and not taken is dropped
    fill(ahead, r);
    waitSeconds += ahead.seconds;
  }
  pending = false;
  prepareSeconds += ahead.seconds;
  ++batches;
  next = 1 - next;
  return {ahead.images.data(), ahead.labels.data(),
          record ? ahead.decisions.data() : nullptr};
}

void InputPipeline::prefetch(const BatchRequest &r) {
  join();
  if (!worker.joinable())
    worker = std::thread([this] { serve(); });
  {
    std::lock_guard<std::mutex> lock(mutex);
    job = [this, r] { fill(buffers[next], r); };
    busy = true;
  }
  pending = true;
  wake.notify_one();
}

void InputPipeline::takeTimes(double &prepare, double &wait, int64_t &n) {
  prepare = prepareSeconds, wait = waitSeconds, n = batches;
  prepareSeconds = waitSeconds = 0;
  batches = 0;
}

} // namespace alexc::rt
