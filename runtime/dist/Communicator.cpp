//===- Communicator.cpp - The single rank, and MPI's ranks ----------------===//
//
// Gradients are summed with MPI_Iallreduce in place, as the compiled step
// completes them, in buckets of neighbouring gradients (GradientBuckets.h);
// each later hook call tests the requests in flight so that MPI makes
// progress while the kernels run.
//
//===----------------------------------------------------------------------===//
#include "runtime/dist/Communicator.h"
#include "runtime/dist/GradientBuckets.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#ifdef ALEXC_HAVE_MPI
// The C API only: the deprecated C++ bindings need a library of their own.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace alexc::rt {

void Communicator::abort(int code) { std::exit(code); }

namespace {

/// Ranks the launcher announced (Open MPI, MPICH/Hydra, PMIx, Slurm's srun),
/// or 0 when the process was started on its own.
int launcherRanks() {
  for (const char *var :
       {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char *v = std::getenv(var))
      return std::atoi(v);
  if (std::getenv("PMIX_RANK"))
    return -1; // PMIx without a size: ask MPI
  return 0;
}

/// One rank on the data-parallel path (ALEXC_DATA_PARALLEL=1): the step's
/// gradient hooks run and group buckets, whose sums over one rank are the
/// gradients themselves; on GPUs the backend's NCCL communicator of one
/// rank sums them. Checks that path where there is only one process.
class SelfCommunicator : public Communicator {
public:
  SelfCommunicator() {
    sync = {this, &SelfCommunicator::onReady, &SelfCommunicator::onWait};
  }
  bool communicates() const override { return true; }
  const GradientSync *gradientSync() override { return &sync; }
  double takeWaitSeconds(int64_t *calls) override {
    *calls = bucketsIssued;
    bucketsIssued = 0;
    return 0;
  }

private:
  static void onReady(void *self, float *gradient, int64_t count) {
    auto *s = static_cast<SelfCommunicator *>(self);
    s->buckets.add(gradient, count,
                   [s](float *, int64_t) { ++s->bucketsIssued; });
  }
  static void onWait(void *self) {
    auto *s = static_cast<SelfCommunicator *>(self);
    s->buckets.flush([s](float *, int64_t) { ++s->bucketsIssued; });
  }

  GradientSync sync;
  GradientBuckets buckets;
  int64_t bucketsIssued = 0;
};

#ifdef ALEXC_HAVE_MPI
class MpiCommunicator : public Communicator {
public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    sync = {this, &MpiCommunicator::onReady, &MpiCommunicator::onWait};
  }
  ~MpiCommunicator() override { MPI_Finalize(); }

  void sum(double *values, int count) override {
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
  }
  void broadcast(float *data, int64_t count) override {
    forIntChunks(count, [&](int64_t offset, int n) {
      MPI_Bcast(data + offset, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    });
  }
  void broadcastBytes(void *data, int bytes) override {
    MPI_Bcast(data, bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
  bool communicates() const override { return true; }
  const GradientSync *gradientSync() override { return &sync; }
  double takeWaitSeconds(int64_t *calls) override {
    double s = waitSeconds;
    *calls = reduceCalls;
    waitSeconds = 0;
    reduceCalls = 0;
    return s;
  }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

private:
  static void onReady(void *self, float *gradient, int64_t count) {
    static_cast<MpiCommunicator *>(self)->ready(gradient, count);
  }
  static void onWait(void *self) {
    static_cast<MpiCommunicator *>(self)->wait();
  }

  /// Starts the all-reduce of one bucket.
  void issue(float *bucket, int64_t count) {
    forIntChunks(count, [&](int64_t offset, int n) {
      inFlight.emplace_back();
      MPI_Iallreduce(MPI_IN_PLACE, bucket + offset, n, MPI_FLOAT, MPI_SUM,
                     MPI_COMM_WORLD, &inFlight.back());
      ++reduceCalls;
    });
  }

  void ready(float *gradient, int64_t count) {
    buckets.add(gradient, count,
                [&](float *bucket, int64_t n) { issue(bucket, n); });
    if (!inFlight.empty()) {
      int done;
      MPI_Testall(int(inFlight.size()), inFlight.data(), &done,
                  MPI_STATUSES_IGNORE);
    }
  }

  void wait() {
    auto t0 = std::chrono::steady_clock::now();
    buckets.flush([&](float *bucket, int64_t n) { issue(bucket, n); });
    MPI_Waitall(int(inFlight.size()), inFlight.data(), MPI_STATUSES_IGNORE);
    inFlight.clear();
    waitSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  }

  GradientSync sync;
  GradientBuckets buckets;
  std::vector<MPI_Request> inFlight;
  double waitSeconds = 0;
  int64_t reduceCalls = 0;
};
#endif

} // namespace

int localRank() {
  for (const char *var : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                          "SLURM_LOCALID", "PMIX_LOCAL_RANK"})
    if (const char *v = std::getenv(var))
      return std::atoi(v);
  return 0;
}

std::unique_ptr<Communicator> startCommunicator(std::string &error) {
  int ranks = launcherRanks();
  if (ranks == 0 || ranks == 1) {
    const char *forced = std::getenv("ALEXC_DATA_PARALLEL");
    if (forced && std::string(forced) == "1")
      return std::make_unique<SelfCommunicator>();
    return std::make_unique<Communicator>();
  }
#ifdef ALEXC_HAVE_MPI
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS) {
    error = "MPI_Init_thread failed";
    return nullptr;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  return std::make_unique<MpiCommunicator>();
#else
  error = "started as one of " + std::to_string(ranks) +
          " ranks, but this executable was built without MPI: install Open "
          "MPI (Debian: libopenmpi-dev openmpi-bin), rebuild alexc (CMake "
          "finds MPI by itself) and this model";
  return nullptr;
#endif
}

} // namespace alexc::rt
