// nn-autodiff on a two-layer network: the gradient ops come in reverse
// order of the forward ops, the images get no gradient, and every parameter
// gets its SGD-momentum update.
// RUN: alexc-opt %s -nn-autodiff | FileCheck %s
// RUN: alexc-opt %s -nn-autodiff=disable-dropout | FileCheck %s --check-prefix=NODROP

module attributes {nn.batch_size = 4 : i64,
                   nn.optimizer = #nn.optimizer<kind = sgd, learning_rate = 0.1, momentum = 0.9, weight_decay = 1.0e-04, nesterov = false, beta1 = 0.9, beta2 = 0.999, epsilon = 1.0e-08>,
                   nn.initializer = #nn.initializer<kind = xavier, distribution = uniform, magnitude = 3.0, sigma = 0.01>} {
  func.func @forward(%w1: tensor<8x12xf32> {nn.name = "fc1.weight"}, %b1: tensor<8xf32> {nn.name = "fc1.bias"},
                     %w2: tensor<3x8xf32> {nn.name = "fc2.weight"},
                     %x: tensor<4x3x2x2xf32> {nn.name = "images"}, %seed: i64 {nn.name = "seed"}, %step: i64 {nn.name = "step"}) -> tensor<4x3xf32> {
    %0 = nn.flatten %x : tensor<4x3x2x2xf32> -> tensor<4x12xf32>
    %1 = nn.dense %0, %w1, %b1 : (tensor<4x12xf32>, tensor<8x12xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %2 = nn.relu %1 : tensor<4x8xf32>
    %3 = nn.dropout %2, %seed, %step rate = 0.5 stream = 0 : tensor<4x8xf32>
    %4 = nn.dense %3, %w2 : (tensor<4x8xf32>, tensor<3x8xf32>) -> tensor<4x3xf32>
    return %4 : tensor<4x3xf32>
  }
  func.func @loss(%l: tensor<4x3xf32>, %y: tensor<4xi32>) -> tensor<f32> {
    %0 = nn.softmax_cross_entropy %l, %y : tensor<4x3xf32>, tensor<4xi32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// CHECK-NOT: func.func @forward
// CHECK-LABEL: func.func @init(%{{.*}}: i64 {nn.name = "seed"})
// CHECK-SAME: -> (tensor<8x12xf32> {nn.name = "fc1.weight"}, tensor<8xf32> {nn.name = "fc1.bias"}, tensor<3x8xf32> {nn.name = "fc2.weight"})
// Xavier: sqrt(3 / ((12 + 8) / 2)) and sqrt(3 / ((8 + 3) / 2)).
// CHECK: nn.random_uniform %{{.*}} bound = 0.54772255750516607 stream = 0 : tensor<8x12xf32>
// CHECK: nn.zeros : tensor<8xf32>
// CHECK: nn.random_uniform %{{.*}} bound = 0.7385489458759964 stream = 2 : tensor<3x8xf32>

// CHECK-LABEL: func.func @gradients(
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss"}, tensor<i32> {nn.name = "correct"}, tensor<8x12xf32> {nn.name = "fc1.weight.grad"}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W1:[a-z0-9]+]]: tensor<8x12xf32> {nn.name = "fc1.weight", nn.role = "parameter"}
// CHECK-SAME: %[[B1:[a-z0-9]+]]: tensor<8xf32> {nn.name = "fc1.bias", nn.role = "parameter"}
// CHECK-SAME: %[[W2:[a-z0-9]+]]: tensor<3x8xf32> {nn.name = "fc2.weight", nn.role = "parameter"}
// CHECK-SAME: %[[M1:[a-z0-9]+]]: tensor<8x12xf32> {nn.name = "fc1.weight.momentum", nn.role = "optimizer_state"}
// CHECK-SAME: {nn.name = "images"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: f32 {nn.name = "lr"}
// Forward:
// CHECK: %[[F:.*]] = nn.flatten
// CHECK: %[[H:.*]] = nn.dense %[[F]], %[[W1]], %[[B1]]
// CHECK: %[[R:.*]] = nn.relu %[[H]]
// CHECK: %[[D:.*]] = nn.dropout %[[R]]
// CHECK: %[[L:.*]] = nn.dense %[[D]], %[[W2]]
// CHECK: nn.softmax_cross_entropy %[[L]]
// CHECK: nn.count_correct %[[L]]
// Backward, in reverse:
// CHECK: %[[DL:.*]] = nn.softmax_cross_entropy_grad %[[L]]
// CHECK: %[[DD:.*]] = nn.dense_input_grad %[[DL]], %[[W2]]
// CHECK: %[[DW2:.*]] = nn.dense_weight_grad %[[D]], %[[DL]]
// CHECK: %[[DR:.*]] = nn.dropout_grad %[[DD]], {{.*}} rate = 5.000000e-01 stream = 0
// CHECK: %[[DH:.*]] = nn.relu_grad %[[R]], %[[DR]]
// The flattened images need no gradient.
// CHECK-NOT: nn.dense_input_grad %[[DH]]
// CHECK: %[[DW1:.*]] = nn.dense_weight_grad %[[F]], %[[DH]]
// CHECK: %[[DB1:.*]] = nn.bias_grad %[[DH]]
// CHECK-NOT: nn.reshape
// Updates:
// CHECK: nn.sgd_momentum_update %[[W1]], %[[DW1]], %[[M1]], %[[LR]] momentum = 9.000000e-01 weight_decay = 1.000000e-04 nesterov = false
// CHECK: nn.sgd_momentum_update %[[B1]], %[[DB1]]
// CHECK: nn.sgd_momentum_update %[[W2]], %[[DW2]]
// CHECK: return

// CHECK-LABEL: func.func @eval_step(
// CHECK-NOT: nn.dropout
// CHECK: nn.softmax_cross_entropy
// CHECK-NOT: _grad
// CHECK: return

// NODROP-LABEL: func.func @train_step(
// NODROP-NOT: nn.dropout
// NODROP: return
