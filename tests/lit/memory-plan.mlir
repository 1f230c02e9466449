// kernel-memory-plan: buffers with disjoint lifetimes share memory,
// overlapping ones never do; returned values persist; an elementwise kernel
// whose input dies with it works in place.
// RUN: alexc-opt %s -kernel-memory-plan | FileCheck %s
// RUN: alexc-opt %s -kernel-memory-plan -kernel-check-plan > /dev/null

// CHECK-LABEL: func.func @chain
// CHECK-SAME: kernel.arena_bytes = 8192 : i64, kernel.persistent_bytes = 4096 : i64
func.func @chain(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  // a: live from 0 to 1.
  // CHECK: "a" {{.*}}offsets = array<i64: 0>, placement = [#kernel<placement arena>]
  %a = kernel.launch "a" kind = elementwise (%x : tensor<1024xf32>) -> (tensor<1024xf32>) {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.relu %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  // b: overlaps a (both live at 1), so it gets other bytes.
  // CHECK: "b" {{.*}}offsets = array<i64: 4096>, placement = [#kernel<placement arena>]
  %b = kernel.launch "b" kind = gemm (%a : tensor<1024xf32>) -> (tensor<1024xf32>) {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.tanh %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  // c: a is dead by now, so c reuses its bytes.
  // CHECK: "c" {{.*}}offsets = array<i64: 0>, placement = [#kernel<placement arena>]
  %c = kernel.launch "c" kind = gemm (%b : tensor<1024xf32>) -> (tensor<1024xf32>) {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.sigmoid %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  // d: elementwise, its input c dies here: in place.
  // CHECK: "d" {{.*}}inplace = array<i64: 0>, offsets = array<i64: -1>, placement = [#kernel<placement inplace>]
  %d = kernel.launch "d" kind = elementwise (%c : tensor<1024xf32>) -> (tensor<1024xf32>) {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.relu %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  // e: returned, so persistent.
  // CHECK: "e" {{.*}}offsets = array<i64: 0>, placement = [#kernel<placement persistent>]
  %e = kernel.launch "e" kind = gemm (%d, %b : tensor<1024xf32>, tensor<1024xf32>) -> (tensor<1024xf32>) {
  ^bb0(%i: tensor<1024xf32>, %j: tensor<1024xf32>):
    %r = nn.add %i, %j : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  return %e : tensor<1024xf32>
}
