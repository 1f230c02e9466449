// Adam keeps two state tensors per parameter and takes the step counter;
// plain SGD keeps none.
// RUN: alexc-opt %s -nn-autodiff | FileCheck %s

module attributes {nn.optimizer = #nn.optimizer<kind = adam, learning_rate = 0.001, momentum = 0.0, weight_decay = 0.0, nesterov = false, beta1 = 0.9, beta2 = 0.999, epsilon = 1.0e-08>,
                   nn.initializer = #nn.initializer<kind = xavier, distribution = uniform, magnitude = 3.0, sigma = 0.01>} {
  func.func @forward(%w: tensor<3x5xf32> {nn.name = "fc.weight"}, %x: tensor<2x5xf32> {nn.name = "images"}, %seed: i64, %step: i64) -> tensor<2x3xf32> {
    %0 = nn.dense %x, %w : (tensor<2x5xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
    return %0 : tensor<2x3xf32>
  }
  func.func @loss(%l: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
    %0 = nn.softmax_cross_entropy %l, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: {nn.name = "fc.weight.exp_avg", nn.role = "optimizer_state"}
// CHECK-SAME: {nn.name = "fc.weight.exp_avg_sq", nn.role = "optimizer_state"}
// CHECK-SAME: %[[STEP:[a-z0-9]+]]: i64 {nn.name = "step"}
// CHECK: nn.adam_update {{.*}}, %[[STEP]] beta1 = 9.000000e-01 beta2 = 0.99899999999999999 epsilon = 1.000000e-08 weight_decay = 0.000000e+00
