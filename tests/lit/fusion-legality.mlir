// kernel-fusion keeps every use after its definition: an activation whose
// producer's value is also read by an op in between stays a kernel of its
// own, and flatten becomes a view.
// RUN: alexc-opt %s -kernel-fusion | FileCheck %s

// CHECK-LABEL: func.func @blocked
func.func @blocked(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %w2: tensor<3x4xf32>) -> (tensor<2x3xf32>, tensor<2x4xf32>) {
  // CHECK: %[[D:.*]] = kernel.launch "dense" kind = gemm
  // CHECK-NOT: nn.relu
  // CHECK: kernel.yield
  %0 = nn.dense %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  // CHECK: kernel.launch "dense_1" kind = gemm (%[[D]]
  %1 = nn.dense %0, %w2 : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kernel.launch "relu" kind = elementwise (%[[D]]
  %2 = nn.relu %0 : tensor<2x4xf32>
  return %1, %2 : tensor<2x3xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @view
func.func @view(%x: tensor<2x2x2x2xf32>, %w: tensor<3x8xf32>) -> tensor<2x3xf32> {
  // CHECK: %[[V:.*]] = kernel.view %{{.*}} : tensor<2x2x2x2xf32> -> tensor<2x8xf32>
  %0 = nn.flatten %x : tensor<2x2x2x2xf32> -> tensor<2x8xf32>
  // CHECK: kernel.launch "dense" kind = gemm (%[[V]],
  %1 = nn.dense %0, %w : (tensor<2x8xf32>, tensor<3x8xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
