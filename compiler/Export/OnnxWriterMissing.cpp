//===- OnnxWriterMissing.cpp - writeOnnxModel without ONNX ------------===//
//
// Compiled instead of OnnxWriter.cpp when CMake finds no ONNX library, so
// that --emit=onnx says what to install instead of failing to link.
//
//===----------------------------------------------------------------------===//
#include "Export/OnnxGraph.h"

namespace alexc::onnx_export {

bool writeOnnxModel(const OnnxGraph &, const std::string &, std::string &,
                    std::string &error) {
  error = "this alexc was built without ONNX: install libonnx-dev and "
          "libprotobuf-dev (Debian) and build it again";
  return false;
}

} // namespace alexc::onnx_export
