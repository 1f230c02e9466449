// The batch size comes from the option or the module's nn.batch_size.
// RUN: alexc-opt %s -nn-shape-inference -verify-diagnostics

// expected-error @below {{nn-shape-inference needs a positive batch size (the batch-size option or nn.batch_size), got 0}}
module {}
