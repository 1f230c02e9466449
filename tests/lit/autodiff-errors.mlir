// nn-autodiff needs @forward, @loss and static shapes.
// RUN: alexc-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// expected-error @below {{nn-autodiff needs func.func @forward and @loss}}
module {}

// -----

module {
  // expected-error @below {{nn-autodiff needs static shapes (run nn-shape-inference first), got 'tensor<?x5xf32>'}}
  func.func @forward(%w: tensor<3x5xf32>, %x: tensor<?x5xf32>, %seed: i64, %step: i64) -> tensor<?x3xf32> {
    %0 = nn.dense %x, %w : (tensor<?x5xf32>, tensor<3x5xf32>) -> tensor<?x3xf32>
    return %0 : tensor<?x3xf32>
  }
  func.func @loss(%l: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<f32> {
    %0 = nn.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}
