// Verifier errors of the gradient, optimizer and initialization ops.
// RUN: alexc-opt %s -split-input-file -verify-diagnostics

func.func @conv_input_grad_channels(%dy: tensor<2x4x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{input gradient has 2 at dimension 1 but the weight's dimension 1 gives 3}}
  %0 = nn.conv2d_input_grad %dy, %w strides = [2, 2] padding = [1, 1] : (tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x2x8x8xf32>
  return
}

// -----

func.func @conv_input_grad_size(%dy: tensor<2x4x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{output gradient is 4x4x4 but an input of 3x12x12 gives 6x6 outputs}}
  %0 = nn.conv2d_input_grad %dy, %w strides = [2, 2] padding = [1, 1] : (tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x12x12xf32>
  return
}

// -----

func.func @conv_weight_grad_outputs(%x: tensor<2x3x8x8xf32>, %dy: tensor<2x4x4x4xf32>) {
  // expected-error @+1 {{weight gradient has 5 at dimension 0 but the output gradient's channels gives 4}}
  %0 = nn.conv2d_weight_grad %x, %dy strides = [2, 2] padding = [1, 1] : (tensor<2x3x8x8xf32>, tensor<2x4x4x4xf32>) -> tensor<5x3x3x3xf32>
  return
}

// -----

func.func @bias_grad(%dy: tensor<2x4x4x4xf32>) {
  // expected-error @+1 {{bias gradient has 3 at dimension 0 but the output gradient's dimension 1 gives 4}}
  %0 = nn.bias_grad %dy : tensor<2x4x4x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @max_pool_grad(%x: tensor<2x3x8x8xf32>, %dy: tensor<2x3x3x3xf32>) {
  // expected-error @+1 {{output gradient is 3x3x3 but an input of 3x8x8 gives 4x4 outputs}}
  %0 = nn.max_pool2d_grad %x, %dy window = [2, 2] strides = [2, 2] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<2x3x3x3xf32>) -> tensor<2x3x8x8xf32>
  return
}

// -----

func.func @avg_pool_grad(%dy: tensor<2x3x4x4xf32>) {
  // expected-error @+1 {{output gradient has 3 at dimension 1 but the input gradient gives 5}}
  %0 = nn.avg_pool2d_grad %dy window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x3x4x4xf32> -> tensor<2x5x8x8xf32>
  return
}

// -----

func.func @dense_input_grad(%dy: tensor<2x5xf32>, %w: tensor<6x64xf32>) {
  // expected-error @+1 {{output gradient has 5 at dimension 1 but the weight's dimension 0 gives 6}}
  %0 = nn.dense_input_grad %dy, %w : (tensor<2x5xf32>, tensor<6x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @dense_weight_grad(%x: tensor<2x64xf32>, %dy: tensor<2x5xf32>) {
  // expected-error @+1 {{result has shape 5x63 but the operands give 5x64 (dimension 1)}}
  %0 = nn.dense_weight_grad %x, %dy : (tensor<2x64xf32>, tensor<2x5xf32>) -> tensor<5x63xf32>
  return
}

// -----

func.func @dropout_grad(%dy: tensor<2x8xf32>, %s: i64) {
  // expected-error @+1 {{rate must be in [0, 1), got -5.000000e-01}}
  %0 = nn.dropout_grad %dy, %s, %s rate = -0.5 stream = 0 : tensor<2x8xf32>
  return
}

// -----

func.func @sce_grad(%l: tensor<4x10xf32>, %y: tensor<2xi32>) {
  // expected-error @+1 {{labels have 2 rows but logits have 4 (dimension 0)}}
  %0 = nn.softmax_cross_entropy_grad %l, %y : tensor<4x10xf32>, tensor<2xi32>
  return
}

// -----

func.func @reshape(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{input has 128 elements but the result has 96}}
  %0 = nn.reshape %x : tensor<2x64xf32> -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @sgd(%w: tensor<4xf32>, %lr: f32) {
  // expected-error @+1 {{weight_decay must be non-negative, got -1}}
  %0 = nn.sgd_update %w, %w, %lr weight_decay = -1.0 : tensor<4xf32>
  return
}

// -----

func.func @nesterov(%w: tensor<4xf32>, %lr: f32) {
  // expected-error @+1 {{nesterov needs a positive momentum}}
  %0:2 = nn.sgd_momentum_update %w, %w, %w, %lr momentum = 0.0 weight_decay = 0.0 nesterov = true : tensor<4xf32>
  return
}

// -----

func.func @adam(%w: tensor<4xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{beta2 must be in [0, 1), got 1}}
  %0:3 = nn.adam_update %w, %w, %w, %w, %lr, %t beta1 = 0.9 beta2 = 1.0 epsilon = 1.0e-8 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @uniform(%s: i64) {
  // expected-error @+1 {{bound must be positive}}
  %0 = nn.random_uniform %s bound = 0.0 stream = 0 : tensor<4xf32>
  return
}

// -----

func.func @zeros() {
  // expected-error @+1 {{result must have a static shape, got 'tensor<?xf32>'}}
  %0 = nn.zeros : tensor<?xf32>
  return
}
