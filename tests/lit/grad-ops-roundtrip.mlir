// Gradient, optimizer and initialization ops print in a form that parses
// back to the same op.
// RUN: alexc-opt %s | alexc-opt | FileCheck %s

// CHECK-LABEL: func.func @grads
func.func @grads(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %dy: tensor<2x4x4x4xf32>,
                 %dw: tensor<5x64xf32>, %f: tensor<2x64xf32>, %d5: tensor<2x5xf32>,
                 %l: tensor<2x5xf32>, %y: tensor<2xi32>, %seed: i64, %step: i64) {
  // CHECK: nn.conv2d_input_grad %{{.*}}, %{{.*}} strides = [2, 2] padding = [1, 1] : (tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x8x8xf32>
  %0 = nn.conv2d_input_grad %dy, %w strides = [2, 2] padding = [1, 1] : (tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x8x8xf32>
  // CHECK: nn.conv2d_weight_grad %{{.*}}, %{{.*}} strides = [2, 2] padding = [1, 1] : (tensor<2x3x8x8xf32>, tensor<2x4x4x4xf32>) -> tensor<4x3x3x3xf32>
  %1 = nn.conv2d_weight_grad %x, %dy strides = [2, 2] padding = [1, 1] : (tensor<2x3x8x8xf32>, tensor<2x4x4x4xf32>) -> tensor<4x3x3x3xf32>
  // CHECK: nn.bias_grad %{{.*}} : tensor<2x4x4x4xf32> -> tensor<4xf32>
  %2 = nn.bias_grad %dy : tensor<2x4x4x4xf32> -> tensor<4xf32>
  // CHECK: nn.max_pool2d_grad %{{.*}}, %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x8x8xf32>
  %p = nn.max_pool2d %x window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
  %3 = nn.max_pool2d_grad %x, %p window = [2, 2] strides = [2, 2] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x8x8xf32>
  // CHECK: nn.avg_pool2d_grad %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x3x4x4xf32> -> tensor<2x3x8x8xf32>
  %4 = nn.avg_pool2d_grad %p window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x3x4x4xf32> -> tensor<2x3x8x8xf32>
  // CHECK: nn.dense_input_grad %{{.*}}, %{{.*}} : (tensor<2x5xf32>, tensor<5x64xf32>) -> tensor<2x64xf32>
  %5 = nn.dense_input_grad %d5, %dw : (tensor<2x5xf32>, tensor<5x64xf32>) -> tensor<2x64xf32>
  // CHECK: nn.dense_weight_grad %{{.*}}, %{{.*}} : (tensor<2x64xf32>, tensor<2x5xf32>) -> tensor<5x64xf32>
  %6 = nn.dense_weight_grad %f, %d5 : (tensor<2x64xf32>, tensor<2x5xf32>) -> tensor<5x64xf32>
  // CHECK: nn.relu_grad %{{.*}}, %{{.*}} : tensor<2x64xf32>
  %7 = nn.relu_grad %f, %5 : tensor<2x64xf32>
  // CHECK: nn.sigmoid_grad %{{.*}}, %{{.*}} : tensor<2x64xf32>
  %8 = nn.sigmoid_grad %f, %5 : tensor<2x64xf32>
  // CHECK: nn.tanh_grad %{{.*}}, %{{.*}} : tensor<2x64xf32>
  %9 = nn.tanh_grad %f, %5 : tensor<2x64xf32>
  // CHECK: nn.dropout_grad %{{.*}}, %{{.*}}, %{{.*}} rate = 2.500000e-01 stream = 1 : tensor<2x64xf32>
  %10 = nn.dropout_grad %9, %seed, %step rate = 0.25 stream = 1 : tensor<2x64xf32>
  // CHECK: nn.softmax_cross_entropy_grad %{{.*}}, %{{.*}} : tensor<2x5xf32>, tensor<2xi32>
  %11 = nn.softmax_cross_entropy_grad %l, %y : tensor<2x5xf32>, tensor<2xi32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<2x64xf32>, tensor<2x64xf32>) -> tensor<2x64xf32>
  %12 = nn.add %7, %8 : (tensor<2x64xf32>, tensor<2x64xf32>) -> tensor<2x64xf32>
  // CHECK: nn.reshape %{{.*}} : tensor<2x64xf32> -> tensor<2x4x4x4xf32>
  %13 = nn.reshape %12 : tensor<2x64xf32> -> tensor<2x4x4x4xf32>
  return
}

// CHECK-LABEL: func.func @updates
func.func @updates(%w: tensor<4x3xf32>, %g: tensor<4x3xf32>, %m: tensor<4x3xf32>, %v: tensor<4x3xf32>,
                   %lr: f32, %step: i64, %seed: i64) {
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} weight_decay = 0.000000e+00 : tensor<4x3xf32>
  %0 = nn.sgd_update %w, %g, %lr weight_decay = 0.0 : tensor<4x3xf32>
  // CHECK: nn.sgd_momentum_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} momentum = 9.000000e-01 weight_decay = 5.000000e-04 nesterov = true : tensor<4x3xf32>
  %1:2 = nn.sgd_momentum_update %w, %g, %m, %lr momentum = 0.9 weight_decay = 5.0e-4 nesterov = true : tensor<4x3xf32>
  // CHECK: nn.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} beta1 = 9.000000e-01 beta2 = 0.99899999999999999 epsilon = 1.000000e-08 weight_decay = 0.000000e+00 : tensor<4x3xf32>
  %2:3 = nn.adam_update %w, %g, %m, %v, %lr, %step beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 : tensor<4x3xf32>
  // CHECK: nn.random_uniform %{{.*}} bound = 5.000000e-01 stream = 3 : tensor<4x3xf32>
  %3 = nn.random_uniform %seed bound = 0.5 stream = 3 : tensor<4x3xf32>
  // CHECK: nn.random_normal %{{.*}} stddev = 1.000000e-02 stream = 4 : tensor<4x3xf32>
  %4 = nn.random_normal %seed stddev = 0.01 stream = 4 : tensor<4x3xf32>
  // CHECK: nn.zeros : tensor<4x3xf32>
  %5 = nn.zeros : tensor<4x3xf32>
  return
}
