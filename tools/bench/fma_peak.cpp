// FP32 FMA peak of this machine: every thread runs independent vector FMA
// chains (enough to hide the latency) for a fixed time. Prints GFLOP/s.
// Build: c++ -O3 -march=native -fopenmp fma_peak.cpp -o fma_peak
#include <chrono>
#include <cstdio>
#include <omp.h>

typedef float v16 __attribute__((vector_size(64)));

int main() {
  double total = 0;
  const long iters = 200000000 / 16;
#pragma omp parallel reduction(+ : total)
  {
    v16 a[12], b = {}, c = {};
    for (int i = 0; i < 12; ++i)
      a[i] = v16{} + float(i) * 1e-3f;
    b = b + 0.999999f;
    c = c + 1e-7f;
    auto t0 = std::chrono::steady_clock::now();
    for (long n = 0; n < iters; ++n)
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i)
        a[i] = a[i] * b + c;
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    float sink = 0;
    for (int i = 0; i < 12; ++i)
      sink += a[i][0];
    if (sink == 12345.f)
      std::printf("!");
    total += double(iters) * 12 * 16 * 2 / s / 1e9;
  }
  std::printf("%.1f\n", total);
  return 0;
}
