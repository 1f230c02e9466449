// nn-shape-inference on odd shapes: non-square kernels, asymmetric padding,
// strides larger than the kernel, and a dense weight refined from its input.
// RUN: alexc-opt %s -nn-shape-inference=batch-size=8 | FileCheck %s

// CHECK-LABEL: func.func @odd
// CHECK-SAME: (%{{.*}}: tensor<6x3x3x5xf32>, %{{.*}}: tensor<10x24xf32>, %{{.*}}: tensor<8x3x17x20xf32>) -> tensor<8x10xf32>
func.func @odd(%w: tensor<6x3x3x5xf32>, %dw: tensor<10x?xf32>, %x: tensor<?x3x17x20xf32>) -> tensor<?x10xf32> {
  // (17 + 2*1 - 3)/1 + 1 = 17, (20 + 2*2 - 5)/1 + 1 = 20
  // CHECK: nn.conv2d {{.*}} -> tensor<8x6x17x20xf32>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 2]
      : (tensor<?x3x17x20xf32>, tensor<6x3x3x5xf32>) -> tensor<?x6x?x?xf32>
  // CHECK: nn.sigmoid {{.*}} : tensor<8x6x17x20xf32>
  %1 = nn.sigmoid %0 : tensor<?x6x?x?xf32>
  // Stride 4 > window 2: (17 - 2)/4 + 1 = 4, (20 - 2)/4 + 1 = 5
  // CHECK: nn.max_pool2d {{.*}} -> tensor<8x6x4x5xf32>
  %2 = nn.max_pool2d %1 window = [2, 2] strides = [4, 4] padding = [0, 0]
      : tensor<?x6x?x?xf32> -> tensor<?x6x?x?xf32>
  // (4 + 2 - 3)/2 + 1 = 2, (5 + 0 - 1)/3 + 1 = 2
  // CHECK: nn.avg_pool2d {{.*}} -> tensor<8x6x2x2xf32>
  %3 = nn.avg_pool2d %2 window = [3, 1] strides = [2, 3] padding = [1, 0]
      : tensor<?x6x?x?xf32> -> tensor<?x6x?x?xf32>
  // CHECK: nn.flatten {{.*}} -> tensor<8x24xf32>
  %4 = nn.flatten %3 : tensor<?x6x?x?xf32> -> tensor<?x?xf32>
  %5 = nn.tanh %4 : tensor<?x?xf32>
  // CHECK: nn.dense {{.*}} : (tensor<8x24xf32>, tensor<10x24xf32>) -> tensor<8x10xf32>
  %6 = nn.dense %5, %dw : (tensor<?x?xf32>, tensor<10x?xf32>) -> tensor<?x10xf32>
  return %6 : tensor<?x10xf32>
}
