//===- Communicator.cpp - The single rank, and MPI's ranks ----------------===//
//
// Gradients are summed with MPI_Iallreduce in place, as the compiled step
// completes them: consecutive gradients that lie next to each other in the
// persistent region (the planner lays them out in the order the backward
// pass produces them) go out as one bucket of up to kBucketBytes, as
// PyTorch's DDP does; each later hook call tests the requests in flight so
// that MPI makes progress while the kernels run.
//
//===----------------------------------------------------------------------===//
#include "runtime/Communicator.h"

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

#ifdef ALEXC_HAVE_MPI
constexpr int64_t kBucketBytes = 25 << 20;

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
    for (int64_t done = 0; done < count;) {
      int n = int(std::min<int64_t>(count - done, 1 << 30));
      MPI_Bcast(data + done, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
      done += n;
    }
  }
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

  void ready(float *gradient, int64_t count) {
    // Joins the pending bucket when it starts within the alignment padding
    // after it (the padding is summed too, harmlessly).
    auto *end = reinterpret_cast<char *>(pending + pendingCount);
    auto gap = reinterpret_cast<char *>(gradient) - end;
    if (pending && gap >= 0 && gap < 64 &&
        (gradient + count - pending) * 4 <= kBucketBytes) {
      pendingCount = gradient + count - pending;
    } else {
      flush();
      pending = gradient;
      pendingCount = count;
    }
    if (!inFlight.empty()) {
      int done;
      MPI_Testall(int(inFlight.size()), inFlight.data(), &done,
                  MPI_STATUSES_IGNORE);
    }
  }

  void flush() {
    for (int64_t done = 0; done < pendingCount;) {
      int n = int(std::min<int64_t>(pendingCount - done, 1 << 30));
      inFlight.emplace_back();
      MPI_Iallreduce(MPI_IN_PLACE, pending + done, n, MPI_FLOAT, MPI_SUM,
                     MPI_COMM_WORLD, &inFlight.back());
      ++reduceCalls;
      done += n;
    }
    pending = nullptr;
    pendingCount = 0;
  }

  void wait() {
    auto t0 = std::chrono::steady_clock::now();
    flush();
    MPI_Waitall(int(inFlight.size()), inFlight.data(), MPI_STATUSES_IGNORE);
    inFlight.clear();
    waitSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  }

  GradientSync sync;
  float *pending = nullptr;
  int64_t pendingCount = 0;
  std::vector<MPI_Request> inFlight;
  double waitSeconds = 0;
  int64_t reduceCalls = 0;
};
#endif

} // namespace

std::unique_ptr<Communicator> startCommunicator(std::string &error) {
  int ranks = launcherRanks();
  if (ranks == 0 || ranks == 1)
    return std::make_unique<Communicator>();
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
