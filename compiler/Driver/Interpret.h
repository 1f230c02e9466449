//===- Interpret.h - alexc SPEC --interpret [FLAGS] -------------*- C++ -*-===//
#ifndef ALEXC_DRIVER_INTERPRET_H
#define ALEXC_DRIVER_INTERPRET_H

#include "Driver/Session.h"

#include <vector>

namespace alexc {

/// Runs the training loop of a compiled executable (the same options,
/// `trainerArgs` with argv[0] first) on the session's spec, with the
/// reference interpreter as the executor. Returns the exit status.
int interpretSpec(Session &session, std::vector<char *> trainerArgs);

} // namespace alexc

#endif
