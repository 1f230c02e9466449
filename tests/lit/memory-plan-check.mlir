// kernel-check-plan refuses a plan where two live buffers share bytes.
// RUN: alexc-opt %s -kernel-check-plan -verify-diagnostics

func.func @bad(%x: tensor<1024xf32>) -> tensor<1024xf32> attributes {kernel.arena_bytes = 4096 : i64, kernel.persistent_bytes = 4096 : i64} {
  // expected-error @below {{memory plan: the buffer of 'a' overlaps a live buffer of 'b' in the arena (bytes [0, 4096) and [0, 4096))}}
  %a = kernel.launch "a" kind = elementwise (%x : tensor<1024xf32>) -> (tensor<1024xf32>) attributes {inplace = array<i64: -1>, offsets = array<i64: 0>, placement = [#kernel<placement arena>]} {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.relu %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  %b = kernel.launch "b" kind = elementwise (%a : tensor<1024xf32>) -> (tensor<1024xf32>) attributes {inplace = array<i64: -1>, offsets = array<i64: 0>, placement = [#kernel<placement arena>]} {
  ^bb0(%i: tensor<1024xf32>):
    %r = nn.tanh %i : tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  %c = kernel.launch "c" kind = gemm (%a, %b : tensor<1024xf32>, tensor<1024xf32>) -> (tensor<1024xf32>) attributes {inplace = array<i64: -1>, offsets = array<i64: 0>, placement = [#kernel<placement persistent>]} {
  ^bb0(%i: tensor<1024xf32>, %j: tensor<1024xf32>):
    %r = nn.add %i, %j : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
    kernel.yield %r : tensor<1024xf32>
  }
  return %c : tensor<1024xf32>
}
