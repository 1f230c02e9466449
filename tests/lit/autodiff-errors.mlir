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

// -----

// The training settings are typed attributes of the module, checked when
// read: every field present, each within its bounds.
// expected-error @below {{nn-autodiff needs the module's nn.optimizer and nn.initializer settings}}
module {
  func.func @forward(%w: tensor<3x5xf32> {nn.name = "fc.weight"}, %x: tensor<2x5xf32> {nn.name = "images"}, %seed: i64, %step: i64) -> tensor<2x3xf32> {
    %0 = nn.dense %x, %w : (tensor<2x5xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
    return %0 : tensor<2x3xf32>
  }
  func.func @loss(%l: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
    %0 = nn.softmax_cross_entropy %l, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}
