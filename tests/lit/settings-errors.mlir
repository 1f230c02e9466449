// The optimizer and initializer settings: every field given, each within
// its bounds, on the module only.
// RUN: alexc-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{momentum must be in [0, 1), got 1.5}}
module attributes {nn.optimizer = #nn.optimizer<kind = sgd, learning_rate = 0.1, momentum = 1.5, weight_decay = 0.0, nesterov = false, beta1 = 0.9, beta2 = 0.999, epsilon = 1.0e-08>} {}

// -----

// expected-error @+1 {{nesterov needs a momentum above 0}}
module attributes {nn.optimizer = #nn.optimizer<kind = sgd, learning_rate = 0.1, momentum = 0.0, weight_decay = 0.0, nesterov = true, beta1 = 0.9, beta2 = 0.999, epsilon = 1.0e-08>} {}

// -----

// expected-error @+1 {{expected ','}}
module attributes {nn.optimizer = #nn.optimizer<kind = adam, learning_rate = 0.1, momentum = 0.0, weight_decay = 0.0, nesterov = false, beta1 = 0.9, beta2 = 0.999>} {}

// -----

// expected-error @+1 {{sigma must be positive, got 0}}
module attributes {nn.initializer = #nn.initializer<kind = normal, distribution = uniform, magnitude = 3.0, sigma = 0.0>} {}

// -----

// expected-error @+1 {{'nn.optimizer' must be a #nn.optimizer<...> attribute, got {type = "sgd"}}}
module attributes {nn.optimizer = {type = "sgd"}} {}
