//===- GradientBuckets.h - Gradients grouped for all-reduce ----*- C++ -*-===//
//
// The compiled step reports each gradient as its last kernel completes it.
// Gradients that lie next to each other (the planner lays them out in the
// order the backward pass produces them) join one bucket of up to
// kBucketBytes, as PyTorch's DDP groups them, so a model of many small
// tensors makes a few large all-reduce calls. Shared by the MPI (host) and
// NCCL (device) paths; neither needs more than pointers.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_GRADIENTBUCKETS_H
#define ALEXC_RUNTIME_GRADIENTBUCKETS_H

#include <cstdint>

namespace alexc::rt {

class GradientBuckets {
public:
  static constexpr int64_t kBucketBytes = 25 << 20;

  /// Adds a completed gradient; `issue(pointer, count)` gets the bucket it
  /// closes, if any. A gradient that starts within the alignment padding
  /// after the open bucket joins it (the padding is summed too, harmlessly).
  template <class Issue> void add(float *gradient, int64_t count, Issue issue) {
    auto *end = reinterpret_cast<char *>(open + openCount);
    auto gap = reinterpret_cast<char *>(gradient) - end;
    if (open && gap >= 0 && gap < 64 &&
        (gradient + count - open) * 4 <= kBucketBytes) {
      openCount = gradient + count - open;
      return;
    }
    flush(issue);
    open = gradient;
    openCount = count;
  }

  /// Issues the open bucket, if any.
  template <class Issue> void flush(Issue issue) {
    if (open)
      issue(open, openCount);
    open = nullptr;
    openCount = 0;
  }

private:
  float *open = nullptr;
  int64_t openCount = 0;
};

/// Calls `fn(offset, n)` over [0, count) in pieces of at most 2^30 elements:
/// MPI counts are ints.
template <class Fn> void forIntChunks(int64_t count, Fn fn) {
  for (int64_t done = 0; done < count;) {
    int n = int(count - done < (int64_t(1) << 30) ? count - done : 1 << 30);
    fn(done, n);
    done += n;
  }
}

} // namespace alexc::rt

#endif
