// Each verifier error of the nn ops, with its message.
// RUN: alexc-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<2x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{weight has 2 input channels (dimension 1) but input has 3 channels (dimension 1)}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{bias has 5 elements but weight has 4 outputs (dimension 0)}}
  %0 = nn.conv2d %x, %w, %b strides = [1, 1] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{result has shape 2x4x8x8 but the operands give 2x4x6x6 (dimension 2)}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'strides' must be positive, got [0, 1]}}
  %0 = nn.conv2d %x, %w strides = [0, 1] padding = [0, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_padding_arity(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'padding' must have 2 values (height, width), got 3}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_negative_padding(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'padding' must be non-negative, got [-1, 0]}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [-1, 0] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<2x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{input 3x2x2 is smaller than the 3x3 window}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0] : (tensor<2x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x1x1xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<2x3x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{operand #0 must be 4D tensor of 32-bit float values}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0] : (tensor<2x3x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<2x256x2x2xf32>) {
  // expected-error @+1 {{input 256x2x2 is smaller than the 3x3 window}}
  %0 = nn.max_pool2d %x window = [3, 3] strides = [2, 2] padding = [0, 0] : tensor<2x256x2x2xf32> -> tensor<2x256x1x1xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{padding [2, 2] must be at most half of the window 3x3}}
  %0 = nn.avg_pool2d %x window = [3, 3] strides = [1, 1] padding = [2, 2] : tensor<2x4x8x8xf32> -> tensor<2x4x10x10xf32>
  return
}

// -----

func.func @pool_channels(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{result has shape 2x5x4x4 but the operands give 2x4x4x4 (dimension 1)}}
  %0 = nn.max_pool2d %x window = [2, 2] strides = [2, 2] padding = [0, 0] : tensor<2x4x8x8xf32> -> tensor<2x5x4x4xf32>
  return
}

// -----

func.func @pool_zero_window(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{'window' must be positive, got [0, 2]}}
  %0 = nn.max_pool2d %x window = [0, 2] strides = [2, 2] padding = [0, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32>
  return
}

// -----

func.func @dense_features(%x: tensor<2x64xf32>, %w: tensor<10x63xf32>) {
  // expected-error @+1 {{weight has 63 input features (dimension 1) but input has 64 features (dimension 1)}}
  %0 = nn.dense %x, %w : (tensor<2x64xf32>, tensor<10x63xf32>) -> tensor<2x10xf32>
  return
}

// -----

func.func @dense_bias(%x: tensor<2x64xf32>, %w: tensor<10x64xf32>, %b: tensor<11xf32>) {
  // expected-error @+1 {{bias has 11 elements but weight has 10 outputs (dimension 0)}}
  %0 = nn.dense %x, %w, %b : (tensor<2x64xf32>, tensor<10x64xf32>, tensor<11xf32>) -> tensor<2x10xf32>
  return
}

// -----

func.func @dense_batch(%x: tensor<2x64xf32>, %w: tensor<10x64xf32>) {
  // expected-error @+1 {{result has shape 3x10 but the operands give 2x10 (dimension 0)}}
  %0 = nn.dense %x, %w : (tensor<2x64xf32>, tensor<10x64xf32>) -> tensor<3x10xf32>
  return
}

// -----

func.func @flatten_size(%x: tensor<2x4x3x3xf32>) {
  // expected-error @+1 {{result has shape 2x35 but the operands give 2x36 (dimension 1)}}
  %0 = nn.flatten %x : tensor<2x4x3x3xf32> -> tensor<2x35xf32>
  return
}

// -----

func.func @flatten_rank(%x: tensor<2xf32>) {
  // expected-error @+1 {{input must have a batch dimension and at least one more, got rank 1}}
  %0 = nn.flatten %x : tensor<2xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @dropout_rate(%x: tensor<2x8xf32>, %s: i64) {
  // expected-error @+1 {{rate must be in [0, 1), got 1}}
  %0 = nn.dropout %x, %s, %s rate = 1.0 stream = 0 : tensor<2x8xf32>
  return
}

// -----

func.func @dropout_stream(%x: tensor<2x8xf32>, %s: i64) {
  // expected-error @+1 {{stream must be non-negative, got -1}}
  %0 = nn.dropout %x, %s, %s rate = 0.5 stream = -1 : tensor<2x8xf32>
  return
}

// -----

func.func @loss_labels(%l: tensor<4x10xf32>, %y: tensor<3xi32>) {
  // expected-error @+1 {{labels have 3 rows but logits have 4 (dimension 0)}}
  %0 = nn.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<3xi32> -> tensor<f32>
  return
}

// -----

func.func @count_labels(%l: tensor<4x10xf32>, %y: tensor<5xi32>) {
  // expected-error @+1 {{labels have 5 rows but logits have 4 (dimension 0)}}
  %0 = nn.count_correct %l, %y : tensor<4x10xf32>, tensor<5xi32> -> tensor<i32>
  return
}

// -----

func.func @loss_no_classes(%l: tensor<4x0xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{logits must have at least one class}}
  %0 = nn.softmax_cross_entropy %l, %y : tensor<4x0xf32>, tensor<4xi32> -> tensor<f32>
  return
}
