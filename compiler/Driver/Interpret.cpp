//===- Interpret.cpp - alexc SPEC --interpret [FLAGS] ---------------------===//
#include "Driver/Interpret.h"
#include "Interpreter/InterpreterExecutor.h"
#include "runtime/train/Trainer.h"

namespace alexc {

int interpretSpec(Session &session, std::vector<char *> trainerArgs) {
  PipelineOptions on, off;
  off.disableDropout = true;
  auto withDropout = session.compile(on);
  auto withoutDropout = session.compile(off);
  if (!withDropout || !withoutDropout)
    return 1;
  rt::ModelConfig config =
      interp::configFromModule(*withDropout, session.spec(), session.hash());
  return rt::trainMain(
      int(trainerArgs.size()), trainerArgs.data(), config,
      [&](const std::string &device, const rt::DeviceOptions &,
          std::string &error) -> std::unique_ptr<rt::Executor> {
        if (device != "cpu") {
          error = "--interpret runs on the CPU only";
          return nullptr;
        }
        return interp::createInterpreterExecutor(*withDropout, *withoutDropout,
                                                 config);
      });
}

} // namespace alexc
