//===- ModelSpec.h - The JSON model spec ------------------------*- C++ -*-===//
//
// The model spec as plain data, parsed and validated from JSON or from the
// model language (both read into one JSON document, checked by one
// validator). The schema is documented in docs/spec.md, the language in
// docs/language.md. This library has no MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_MODELSPEC_H
#define ALEXC_FRONTEND_MODELSPEC_H

#include "Frontend/SourceLocation.h"
#include "runtime/data/Transform.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace alexc {

/// A (height, width) pair; the spec accepts an int for both or `[h, w]`.
struct HW {
  int64_t h = 0, w = 0;
  bool operator==(const HW &o) const { return h == o.h && w == o.w; }
};

enum class LayerKind {
  Conv2D,
  MaxPool2D,
  AvgPool2D,
  Dense,
  Dropout,
  Flatten,
  Activation, // a standalone activation layer; `type` names it
  Add,        // elementwise sum of two or more inputs
  Concat,     // inputs joined along channels (4-D) or features (2-D)
  GlobalAvgPool2D,
  BatchNorm
};

/// The name of the network's input in a layer's "inputs".
inline constexpr const char *kDataInput = "data";

struct LayerSpec {
  std::string name; // unique; defaults to "<type>_<k>" (k-th of its type)
  std::string type; // as written: "conv2d", "max_pool2d", ...
  LayerKind kind;
  int64_t index = 0; // position in "layers"
  /// What the layer reads: indices of earlier layers, -1 for the network's
  /// input ("data"). Default: the previous layer.
  std::vector<int64_t> inputs;
  int64_t channels = 0; // conv2d
  int64_t units = 0;    // dense
  HW kernel;            // conv2d kernel_size, pools pool_size
  HW strides{1, 1};
  HW padding{0, 0};
  std::string activation; // "" or an activation name (activationNames())
  bool useBias = true;
  double rate = 0.0; // dropout
  // batch_norm (Gluon's keys): running = momentum * running + (1 -
  // momentum) * batch statistic; `center` adds beta, `scale` gamma.
  double momentum = 0.9, epsilon = 1e-5;
  bool center = true, scale = true;
  SourceLoc loc; // where the layer is written in the spec file
};

struct InitializerSpec {
  std::string type = "xavier";          // "xavier" or "normal"
  std::string distribution = "uniform"; // xavier: "uniform" or "normal"
  double magnitude = 3.0;               // xavier
  double sigma = 0.01;                  // normal
};

struct OptimizerSpec {
  std::string type = "sgd"; // "sgd" or "adam"
  double learningRate = 0.01;
  double momentum = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

struct DataSpec {
  std::string dataset = "fashion-mnist";
  int64_t resize = 0; // 0: use the images as they are
  /// data.train and data.test: torchvision's transforms (docs/data.md).
  rt::TransformLists transforms;
};

struct ModelSpec {
  std::string name;
  int64_t channels = 0, height = 0, width = 0; // "input"
  std::vector<LayerSpec> layers;
  std::string loss = "softmax_cross_entropy";
  InitializerSpec initializer;
  OptimizerSpec optimizer;
  int64_t batchSize = 128;
  int64_t epochs = 5;
  DataSpec data;
  std::string sourcePath; // the file it was read from, when it was
  /// Data-parallel training (alexc --ranks N): each rank's step takes
  /// ceil(batch_size / N) rows. Not part of the spec (nor of its hash), so
  /// checkpoints move between executables built for different N.
  int64_t ranks = 1;
  int64_t stepBatch() const { return (batchSize + ranks - 1) / ranks; }
};

/// The two ways of writing a spec: JSON (docs/spec.md) and the model
/// language (docs/language.md, files ending in .nn).
enum class SpecFormat { Json, Language };

/// The reader for a file by its suffix (in any case): `.json` is JSON,
/// `.nn` the model language; none for any other suffix.
std::optional<SpecFormat> specFormatOf(const std::string &path);

/// The error for a file whose suffix names no reader: it names the file,
/// its suffix and the suffixes alexc reads.
std::string unknownSpecSuffixError(const std::string &path);

/// One error of a spec: its message (naming the layer and field) and where
/// in the text it is.
struct SpecDiagnostic {
  std::string message;
  SourceLoc loc;
};

/// The name in `names` nearest to a misspelt `word` (at most two edits
/// away), or "" when none is that close.
std::string nearestName(const std::string &word,
                        const std::vector<std::string> &names);

/// Parses and validates a spec written in either form.
bool readModelSpec(const std::string &text, SpecFormat format, ModelSpec &spec,
                   SpecDiagnostic &diag);

/// Parses and validates a spec. On failure returns false and sets `error` to
/// one message that names the layer (name and index) and the field.
bool parseModelSpec(const std::string &text, ModelSpec &spec,
                    std::string &error);

/// Reads `path` in the form its suffix says and parses it; an error is
/// "path:line:col: error: message" with the source line and a caret.
bool loadModelSpec(const std::string &path, ModelSpec &spec,
                   std::string &error);

} // namespace alexc

#endif
