//===- NcclSync.cuh - Gradient sums over GPU ranks with NCCL --------------===//
//
// Included by CudaExecutor.cuh when the toolkit has NCCL (ALEXC_HAVE_NCCL).
// One rank per GPU. The compiled step's hooks (GradientSync) group the
// completed gradients into buckets (GradientBuckets.h) and all-reduce each
// in place with ncclAllReduce on a stream of its own, forked from the
// step's stream when the bucket is complete and joined back before the
// optimizer, so that a bucket's sum overlaps the backward kernels after
// it. The hooks run while the step is captured as a CUDA graph, so every
// replay repeats the same forks, all-reduces and joins (NCCL 2.9 and later
// can be captured). The NCCL id goes from rank 0 to the others over MPI.
// libnccl is opened when ranks join, not linked: an executable starts, and
// trains on one GPU or the CPU, where NCCL is not installed.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_NCCLSYNC_CUH
#define ALEXC_RUNTIME_CUDA_NCCLSYNC_CUH

#include "runtime/dist/Communicator.h"
#include "runtime/dist/GradientBuckets.h"
#include "runtime/cuda/CudaCheck.h"

#include <dlfcn.h>
#include <nccl.h>

#include <string>
#include <type_traits>
#include <vector>

namespace alexc::cuda {

/// The NCCL functions this file calls, from libnccl.so.2.
struct NcclApi {
  decltype(&ncclGetUniqueId) getUniqueId = nullptr;
  decltype(&ncclCommInitRank) commInitRank = nullptr;
  decltype(&ncclAllReduce) allReduce = nullptr;
  decltype(&ncclCommDestroy) commDestroy = nullptr;
  decltype(&ncclGetErrorString) errorString = nullptr;

  /// Null, with `error`, when the library or a function is missing.
  static const NcclApi *load(std::string &error) {
    static NcclApi api;
    static std::string loadError = api.open();
    error = loadError;
    return loadError.empty() ? &api : nullptr;
  }

private:
  std::string open() {
    // The executable's run path holds the CUDA toolkit's lib64.
    void *lib = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return std::string("NCCL, which data-parallel training on GPUs "
                         "needs, cannot be loaded (") +
             dlerror() + "): install it or put it on LD_LIBRARY_PATH";
    auto bind = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      return fn != nullptr;
    };
    if (!bind(getUniqueId, "ncclGetUniqueId") ||
        !bind(commInitRank, "ncclCommInitRank") ||
        !bind(allReduce, "ncclAllReduce") ||
        !bind(commDestroy, "ncclCommDestroy") ||
        !bind(errorString, "ncclGetErrorString"))
      return "libnccl.so.2 lacks a function alexc calls (NCCL too old?)";
    return "";
  }
};

inline std::string statusMessage(ncclResult_t r) {
  std::string unused;
  const NcclApi *api = NcclApi::load(unused);
  return api ? api->errorString(r) : "NCCL error " + std::to_string(int(r));
}

#define ALEXC_NCCL_CHECK(call)                                                 \
  ALEXC_CHECK_CALL("NCCL", #call, call, ncclSuccess)

class NcclGradientSync {
public:
  ~NcclGradientSync() {
    if (!started)
      return;
    for (cudaEvent_t e : events)
      cudaEventDestroy(e);
    cudaStreamDestroy(side);
    nccl->commDestroy(comm);
  }

  /// Joins the ranks of `ranks` (collective: every rank calls it). False,
  /// with `error`, when NCCL cannot set up.
  bool start(rt::Communicator &ranks, cudaStream_t stepStream,
             std::string &error) {
    nccl = NcclApi::load(error);
    if (!nccl)
      return false;
    ncclUniqueId id{};
    ncclResult_t r = ncclSuccess;
    if (ranks.rank() == 0)
      r = nccl->getUniqueId(&id);
    ranks.broadcastBytes(&id, int(sizeof id));
    if (r == ncclSuccess)
      r = nccl->commInitRank(&comm, ranks.size(), id, ranks.rank());
    if (r != ncclSuccess) {
      error = "NCCL could not join the ranks: " + statusMessage(r);
      return false;
    }
    step = stepStream;
    ALEXC_CUDA_CHECK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
    hooks = {this, &NcclGradientSync::onReady, &NcclGradientSync::onWait};
    started = true;
    return true;
  }

  const rt::GradientSync *sync() const { return &hooks; }

private:
  static void onReady(void *self, float *gradient, int64_t count) {
    auto *s = static_cast<NcclGradientSync *>(self);
    s->buckets.add(gradient, count,
                   [s](float *bucket, int64_t n) { s->issue(bucket, n); });
  }
  static void onWait(void *self) {
    auto *s = static_cast<NcclGradientSync *>(self);
    s->buckets.flush([s](float *bucket, int64_t n) { s->issue(bucket, n); });
    // The optimizer, next on the step's stream, waits for every sum.
    cudaEvent_t joined = s->nextEvent();
    ALEXC_CUDA_CHECK(cudaEventRecord(joined, s->side));
    ALEXC_CUDA_CHECK(cudaStreamWaitEvent(s->step, joined, 0));
    s->used = 0;
  }

  /// Sums one bucket once the kernels before it on the step's stream are
  /// done.
  void issue(float *bucket, int64_t count) {
    cudaEvent_t ready = nextEvent();
    ALEXC_CUDA_CHECK(cudaEventRecord(ready, step));
    ALEXC_CUDA_CHECK(cudaStreamWaitEvent(side, ready, 0));
    ALEXC_NCCL_CHECK(nccl->allReduce(bucket, bucket, size_t(count), ncclFloat,
                                     ncclSum, comm, side));
  }

  /// An event of its own for each fork and join of one step.
  cudaEvent_t nextEvent() {
    if (used == events.size()) {
      events.emplace_back();
      ALEXC_CUDA_CHECK(
          cudaEventCreateWithFlags(&events.back(), cudaEventDisableTiming));
    }
    return events[used++];
  }

  bool started = false;
  const NcclApi *nccl = nullptr;
  ncclComm_t comm{};
  cudaStream_t step{}, side{};
  rt::GradientSync hooks{};
  rt::GradientBuckets buckets;
  std::vector<cudaEvent_t> events;
  size_t used = 0;
};

} // namespace alexc::cuda

#endif
