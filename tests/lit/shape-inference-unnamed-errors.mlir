// nn-shape-inference errors on ops without a spec layer location, and
// without a batch size.
// RUN: alexc-opt %s -split-input-file -nn-shape-inference=batch-size=4 -verify-diagnostics

// Without a layer location the op is named instead.
func.func @unnamed(%x: tensor<?x1x4x4xf32>) -> tensor<?x1x?x?xf32> {
  %0 = nn.max_pool2d %x window = [2, 2] strides = [2, 2] padding = [0, 0]
      : tensor<?x1x4x4xf32> -> tensor<?x1x?x?xf32>
  // expected-error @+1 {{'nn.avg_pool2d': input 1x2x2 is smaller than the 2x3 window}}
  %1 = nn.avg_pool2d %0 window = [2, 3] strides = [1, 1] padding = [0, 0]
      : tensor<?x1x?x?xf32> -> tensor<?x1x?x?xf32>
  return %1 : tensor<?x1x?x?xf32>
}

