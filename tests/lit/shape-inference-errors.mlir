// nn-shape-inference reports the layer that cannot apply, with the shapes.
// The failing ops take inputs whose sizes are only known after inference.
// RUN: not alexc-opt %s -split-input-file -nn-shape-inference=batch-size=4 2>&1 | FileCheck %s

func.func @pool_too_large(%x: tensor<?x256x6x6xf32>) -> tensor<?x256x?x?xf32> {
  %0 = nn.max_pool2d %x window = [3, 3] strides = [2, 2] padding = [0, 0]
      : tensor<?x256x6x6xf32> -> tensor<?x256x?x?xf32>
  // CHECK: error: {{.*}}layer 'pool3' (max_pool2d, #7): input 256x2x2 is smaller than the 3x3 window
  %1 = nn.max_pool2d %0 window = [3, 3] strides = [2, 2] padding = [0, 0]
      : tensor<?x256x?x?xf32> -> tensor<?x256x?x?xf32> loc(fused<{index = 7 : i64, type = "max_pool2d"}>["pool3"])
  return %1 : tensor<?x256x?x?xf32>
}

// -----

func.func @conv_too_large(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x7x7xf32>) -> tensor<?x8x?x?xf32> {
  %0 = nn.avg_pool2d %x window = [2, 2] strides = [2, 2] padding = [0, 0]
      : tensor<?x3x8x8xf32> -> tensor<?x3x?x?xf32>
  // CHECK: error: {{.*}}layer 'conv9' (conv2d, #2): input 3x4x4 (padded by [1, 1]) is smaller than the 7x7 window
  %1 = nn.conv2d %0, %w strides = [1, 1] padding = [1, 1]
      : (tensor<?x3x?x?xf32>, tensor<8x3x7x7xf32>) -> tensor<?x8x?x?xf32> loc(fused<{index = 2 : i64, type = "conv2d"}>["conv9"])
  return %1 : tensor<?x8x?x?xf32>
}

