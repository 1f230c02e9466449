// kernel-memory-plan: a concat input whose producer stores it from its
// epilogue, and which every other kernel reads element by element, is
// written straight into the concat's buffer (placement slice); the rest
// are copied as before.
// RUN: alexc-opt %s -kernel-memory-plan | FileCheck %s
// RUN: alexc-opt %s -kernel-memory-plan -kernel-check-plan > /dev/null

// CHECK-LABEL: func.func @branches
// The concat's 4x8 floats (128 bytes) start with its first slice; the
// copied input b and use_b's result (64 bytes each) lie behind them.
// CHECK-SAME: kernel.arena_bytes = 256 : i64
func.func @branches(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // CHECK: "a" {{.*}}offsets = array<i64: -1>, placement = [#kernel<placement slice>]
  %a = kernel.launch "a" kind = gemm (%x : tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>):
    %r = nn.tanh %i : tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  // b is read by a GEMM's anchor, which takes contiguous rows: copied.
  // CHECK: "b" {{.*}}offsets = array<i64: 128>, placement = [#kernel<placement arena>]
  %b = kernel.launch "b" kind = gemm (%x : tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>):
    %r = nn.sigmoid %i : tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  // CHECK: "cat" {{.*}}offsets = array<i64: 0>, placement = [#kernel<placement arena>]
  %cat = kernel.launch "cat" kind = copy (%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x8xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.concat %i, %j : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
    kernel.yield %r : tensor<4x8xf32>
  }
  %u = kernel.launch "use_b" kind = gemm (%b, %w : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.dense %i, %j : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  %s = kernel.launch "slice" kind = copy (%cat : tensor<4x8xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x8xf32>):
    %r = nn.slice %i offset = 4 : tensor<4x8xf32> -> tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  // a is read again by an elementwise kernel as the extra operand of its
  // first op (not the value its chain starts from): still a slice. The
  // kernel works in place on the other input, never on a slice.
  // CHECK: "grad" {{.*}}inplace = array<i64: 1>
  %g = kernel.launch "grad" kind = elementwise (%a, %s : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.relu_grad %i, %j : tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  %sum = kernel.launch "sum" kind = elementwise (%g, %u : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.add %i, %j : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  return %sum : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @returned
// A concat the function returns goes to the caller's buffer, which may be
// absent: its inputs are copied.
// CHECK: "a" {{.*}}placement = [#kernel<placement arena>]
func.func @returned(%x: tensor<4x4xf32>) -> tensor<4x8xf32> {
  %a = kernel.launch "a" kind = gemm (%x : tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>):
    %r = nn.tanh %i : tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  %cat = kernel.launch "cat" kind = copy (%a, %x : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x8xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.concat %i, %j : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
    kernel.yield %r : tensor<4x8xf32>
  }
  return %cat : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @twice
// An input a concat reads twice cannot be in two places.
// CHECK: "a" {{.*}}placement = [#kernel<placement arena>]
func.func @twice(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = kernel.launch "a" kind = gemm (%x : tensor<4x4xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x4xf32>):
    %r = nn.tanh %i : tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  %cat = kernel.launch "cat" kind = copy (%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x8xf32>) {
  ^bb0(%i: tensor<4x4xf32>, %j: tensor<4x4xf32>):
    %r = nn.concat %i, %j : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
    kernel.yield %r : tensor<4x8xf32>
  }
  %s = kernel.launch "slice" kind = copy (%cat : tensor<4x8xf32>) -> (tensor<4x4xf32>) {
  ^bb0(%i: tensor<4x8xf32>):
    %r = nn.slice %i offset = 0 : tensor<4x8xf32> -> tensor<4x4xf32>
    kernel.yield %r : tensor<4x4xf32>
  }
  return %s : tensor<4x4xf32>
}
