// Every nn op prints in a form that parses back to the same op.
// RUN: alexc-opt %s | alexc-opt | FileCheck %s

// CHECK-LABEL: func.func @forward_ops
func.func @forward_ops(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                       %b: tensor<4xf32>, %dw: tensor<5x64xf32>,
                       %seed: i64, %step: i64) -> tensor<2x5xf32> {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}}, %{{.*}} strides = [1, 1] padding = [1, 1] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32>
  %0 = nn.conv2d %x, %w, %b strides = [1, 1] padding = [1, 1]
      : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32>
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} strides = [2, 2] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x3x3xf32>
  %nobias = nn.conv2d %x, %w strides = [2, 2] padding = [0, 0]
      : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x3x3xf32>
  // CHECK: nn.relu %{{.*}} : tensor<2x4x8x8xf32>
  %1 = nn.relu %0 : tensor<2x4x8x8xf32>
  // CHECK: nn.sigmoid %{{.*}} : tensor<2x4x8x8xf32>
  %2 = nn.sigmoid %1 : tensor<2x4x8x8xf32>
  // CHECK: nn.tanh %{{.*}} : tensor<2x4x8x8xf32>
  %3 = nn.tanh %2 : tensor<2x4x8x8xf32>
  // CHECK: nn.max_pool2d %{{.*}} window = [3, 3] strides = [1, 1] padding = [1, 1] : tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  %4 = nn.max_pool2d %3 window = [3, 3] strides = [1, 1] padding = [1, 1]
      : tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  // CHECK: nn.avg_pool2d %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32>
  %5 = nn.avg_pool2d %4 window = [2, 2] strides = [2, 2] padding = [0, 0]
      : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32>
  // CHECK: nn.flatten %{{.*}} : tensor<2x4x4x4xf32> -> tensor<2x64xf32>
  %6 = nn.flatten %5 : tensor<2x4x4x4xf32> -> tensor<2x64xf32>
  // CHECK: nn.dropout %{{.*}}, %{{.*}}, %{{.*}} rate = 5.000000e-01 stream = 3 : tensor<2x64xf32>
  %7 = nn.dropout %6, %seed, %step rate = 0.5 stream = 3 : tensor<2x64xf32>
  // CHECK: nn.dense %{{.*}}, %{{.*}} : (tensor<2x64xf32>, tensor<5x64xf32>) -> tensor<2x5xf32>
  %8 = nn.dense %7, %dw : (tensor<2x64xf32>, tensor<5x64xf32>) -> tensor<2x5xf32>
  return %8 : tensor<2x5xf32>
}

// CHECK-LABEL: func.func @loss_ops
func.func @loss_ops(%logits: tensor<4x10xf32>, %labels: tensor<4xi32>)
    -> (tensor<f32>, tensor<i32>) {
  // CHECK: nn.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<4xi32> -> tensor<f32>
  %0 = nn.softmax_cross_entropy %logits, %labels : tensor<4x10xf32>, tensor<4xi32> -> tensor<f32>
  // CHECK: nn.count_correct %{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<4xi32> -> tensor<i32>
  %1 = nn.count_correct %logits, %labels : tensor<4x10xf32>, tensor<4xi32> -> tensor<i32>
  return %0, %1 : tensor<f32>, tensor<i32>
}

// Dynamic dimensions (before shape inference) are accepted.
// CHECK-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<?x3x?x?xf32>, %w: tensor<4x3x3x3xf32>, %dw: tensor<7x?xf32>) -> tensor<?x7xf32> {
  // CHECK: nn.conv2d {{.*}} -> tensor<?x4x?x?xf32>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0]
      : (tensor<?x3x?x?xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x?x?xf32>
  %1 = nn.flatten %0 : tensor<?x4x?x?xf32> -> tensor<?x?xf32>
  %2 = nn.dense %1, %dw : (tensor<?x?xf32>, tensor<7x?xf32>) -> tensor<?x7xf32>
  return %2 : tensor<?x7xf32>
}
