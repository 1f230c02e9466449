//===- SpecJsonFuzzer.cpp - JSON spec to ModelSpec to nn IR ---------------===//
#include "SpecFuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return alexc::fuzz::fuzzSpec(data, size, alexc::SpecFormat::Json);
}
