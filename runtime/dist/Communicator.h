//===- Communicator.h - The ranks of a data-parallel run --------*- C++ -*-===//
//
// What the training loop needs from the processes it runs with: its rank,
// sums over ranks, the parameters of rank 0, the gradient hooks of the
// compiled step, and a way to stop every rank. A process started without
// mpirun is the only rank and none of this communicates; under mpirun the
// MPI implementation (Communicator.cpp, built when CMake finds MPI) does.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_COMMUNICATOR_H
#define ALEXC_RUNTIME_COMMUNICATOR_H

#include "runtime/abi/Model.h"

#include <cstdint>
#include <memory>
#include <string>

namespace alexc::rt {

class Communicator {
public:
  virtual ~Communicator() = default;
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Whether steps take the data-parallel path: several ranks, or one when
  /// ALEXC_DATA_PARALLEL=1 asks for it (to check that path against a plain
  /// run where there is one process or one GPU).
  virtual bool communicates() const { return false; }
  /// Replaces each of `count` values with its sum over ranks.
  virtual void sum(double *values, int count) {}
  /// Replaces `data` with rank 0's.
  virtual void broadcast(float *data, int64_t count) {}
  virtual void broadcastBytes(void *data, int bytes) {}
  /// The hooks the compiled step calls: each completed gradient is summed
  /// over ranks in place, in buckets, while the backward pass goes on.
  virtual const GradientSync *gradientSync() { return nullptr; }
  /// Seconds spent waiting for gradient sums since the last call, and the
  /// number of all-reduce calls they took.
  virtual double takeWaitSeconds(int64_t *calls) {
    *calls = 0;
    return 0;
  }
  /// Stops every rank with `code` (the process exits).
  [[noreturn]] virtual void abort(int code);

protected:
  int rank_ = 0, size_ = 1;
};

/// The communicator of this process: MPI's when it was started by mpirun
/// (or srun) with more than one rank, else the single rank (on the
/// data-parallel path with ALEXC_DATA_PARALLEL=1). Null, with
/// `error` set, when it cannot be had (MPI missing from the build, or its
/// initialization failing).
std::unique_ptr<Communicator> startCommunicator(std::string &error);

/// This process's rank among those on its node, as the launcher announced
/// it (0 when started on its own): the GPU a rank takes.
int localRank();

/// Rows [offset, offset + count) of a global batch of `rows` that `rank` of
/// `size` takes: equal shares, the first `rows % size` ranks one more.
struct RowShare {
  int64_t offset, count;
};
inline RowShare rowShare(int64_t rows, int rank, int size) {
  int64_t base = rows / size, extra = rows % size;
  return {rank * base + std::min<int64_t>(rank, extra),
          base + (rank < extra ? 1 : 0)};
}

} // namespace alexc::rt

#endif
