//===- InferMain.cpp - main() of a compiled inference executable ----------===//
//
// `alexc SPEC --mode=inference -o NAME` links this main: it loads trained
// weights, reads images (IDX, JPEG, PNG, PGM, PPM), prepares them as the
// spec's test data (its test transforms, or a resize to the input size),
// runs the compiled @predict over batches and prints each image's top
// classes with their softmax probabilities, as text or JSON Lines.
//
//===----------------------------------------------------------------------===//
#include "runtime/abi/TensorRoles.h"
#include "runtime/data/ImageTransforms.h"
#include "runtime/infer/Images.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/CpuExecutor.h"
#include "runtime/train/Data.h"
#include "runtime/train/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#ifdef _OPENMP
#include <omp.h>
#endif

using namespace alexc::rt;

namespace {

struct InferOptions {
  std::string weights, labels;
  std::vector<std::string> inputs;
  int64_t top = 3, threads = 0;
  bool json = false, help = false;
};

void printHelp(const char *program, const ModelConfig &c) {
  std::printf(
      "usage: %s --weights FILE [options] IMAGE...\n\n"
      "Classifies images with the compiled model '%s' (input %" PRId64
      "x%" PRId64 "x%" PRId64 ", %" PRId64 " classes; %" PRId64
      " images per batch).\nIMAGE: an IDX image file (gzip-compressed or "
      "not; every image in it), a JPEG,\nPNG, PGM or PPM; channels are "
      "converted as in training (PIL's rules), then\nthe spec's test "
      "transforms apply, or, without them, a resize to the input.\n\n"
      "  --weights FILE   trained weights: a checkpoint (--save) or a "
      "safetensors file\n                   with the parameters (required)\n"
      "  --top K          print the K most probable classes (default 3)\n"
      "  --labels FILE    class names, one per line (default: those the "
      "weights file\n"
      "                   records, from the training data's class folders; "
      "else\n"
      "                   Fashion-MNIST's for 10 classes)\n"
      "  --json           JSON Lines: {\"file\", \"index\", \"top\": "
      "[{\"class\", \"id\", \"probability\"}],\n"
      "                   \"logits\": [...]}\n"
      "  --threads N      OpenMP threads (default: all cores)\n"
      "  --help           this text\n",
      program, c.name.c_str(), c.channels, c.height, c.width, c.classes,
      c.batchSize);
}

bool parseOptions(int argc, char **argv, InferOptions &o, std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc) {
        error = a + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    auto count = [&](int64_t &out) {
      std::string v;
      if (!value(v))
        return false;
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 1 << 20) {
        error = a + " takes a positive integer, got '" + v + "'";
        return false;
      }
      out = n;
      return true;
    };
    bool ok = true;
    if (a == "--weights")
      ok = value(o.weights);
    else if (a == "--labels")
      ok = value(o.labels);
    else if (a == "--top")
      ok = count(o.top);
    else if (a == "--threads")
      ok = count(o.threads);
    else if (a == "--json")
      o.json = true;
    else if (a == "--help" || a == "-h")
      o.help = true;
    else if (a.size() > 1 && a[0] == '-') {
      error = "unknown option " + a + " (--help lists them)";
      return false;
    } else
      o.inputs.push_back(a);
    if (!ok)
      return false;
  }
  if (!o.help && o.weights.empty())
    error = "--weights FILE is required (the trained model's weights)";
  else if (!o.help && o.inputs.empty())
    error = "no images given (IDX, JPEG, PNG, PGM or PPM files)";
  return error.empty();
}

/// The class names the weights file records (checkpoint metadata "classes",
/// written when the training data named its classes); empty if none.
std::vector<std::string> recordedClassNames(const std::string &path) {
  Safetensors st;
  std::string error;
  if (!readSafetensors(path, st, error))
    return {};
  auto it = st.metadata.find("classes");
  if (it == st.metadata.end())
    return {};
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  std::vector<std::string> names;
  if (j.is_array())
    for (const auto &n : j)
      if (n.is_string())
        names.push_back(n.get<std::string>());
  return names;
}

/// Class names: from --labels, the weights file's, Fashion-MNIST's for 10
/// classes, or "class N".
bool classNames(const InferOptions &o, const ModelConfig &c,
                std::vector<std::string> &names, std::string &error) {
  if (!o.labels.empty()) {
    std::ifstream in(o.labels);
    if (!in) {
      error = o.labels + ": cannot open: " + std::strerror(errno);
      return false;
    }
    for (std::string line; std::getline(in, line);)
      if (!line.empty())
        names.push_back(line);
    if (int64_t(names.size()) != c.classes) {
      error = o.labels + ": has " + std::to_string(names.size()) +
              " names; the model has " + std::to_string(c.classes) + " classes";
      return false;
    }
    return true;
  }
  names = recordedClassNames(o.weights);
  if (int64_t(names.size()) == c.classes)
    return true;
  names.clear();
  if (c.classes == 10) {
    names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return true;
  }
  for (int64_t k = 0; k < c.classes; ++k)
    names.push_back("class " + std::to_string(k));
  return true;
}

/// Softmax of one row of logits, then the `top` most probable classes.
std::vector<std::pair<int64_t, double>>
topClasses(const float *logits, int64_t classes, int64_t top) {
  double mx = *std::max_element(logits, logits + classes), z = 0;
  std::vector<std::pair<int64_t, double>> p(static_cast<size_t>(classes));
  for (int64_t k = 0; k < classes; ++k)
    z += p[size_t(k)].second = std::exp(double(logits[k]) - mx);
  for (int64_t k = 0; k < classes; ++k)
    p[size_t(k)] = {k, p[size_t(k)].second / z};
  // Ties keep the lower class first, as the training accuracy's argmax.
  std::stable_sort(p.begin(), p.end(),
                   [](auto &a, auto &b) { return a.second > b.second; });
  p.resize(size_t(std::min(top, classes)));
  return p;
}

void printPrediction(const Image &image, const float *logits, int64_t classes,
                     const std::vector<std::pair<int64_t, double>> &top,
                     const std::vector<std::string> &names, bool json) {
  if (json) {
    nlohmann::json line = {{"file", image.file}};
    if (image.index >= 0)
      line["index"] = image.index;
    for (auto &[k, prob] : top)
      line["top"].push_back(
          {{"class", names[size_t(k)]}, {"id", k}, {"probability", prob}});
    line["logits"] = std::vector<float>(logits, logits + classes);
    std::printf("%s\n", line.dump().c_str());
    return;
  }
  std::printf("%s", image.file.c_str());
  if (image.index >= 0)
    std::printf("#%" PRId64, image.index);
  const char *sep = ": ";
  for (auto &[k, prob] : top) {
    std::printf("%s%s %.4f", sep, names[size_t(k)].c_str(), prob);
    sep = ", ";
  }
  std::printf("\n");
}

/// One image as the model takes it: through the spec's test transforms,
/// or, without them, scaled to [0, 1] and resized bilinearly to the
/// model's input. False when the transforms give another size.
bool prepare(const Image &m, const ModelConfig &c,
             std::map<std::pair<int64_t, int64_t>, ResizePlan> &plans,
             float *out, std::string &error) {
  const int64_t plane = c.height * c.width;
  if (c.transforms.test.empty()) {
    auto key = std::make_pair(m.rows, m.cols);
    auto it = plans.find(key);
    if (it == plans.end())
      it = plans.emplace(key, planResize(m.rows, m.cols, c.height, c.width))
               .first;
    for (int64_t ch = 0; ch < c.channels; ++ch)
      scaleImage(m.pixels.data() + ch * m.rows * m.cols, it->second,
                 out + ch * plane);
    return true;
  }
  FloatImage image, scratch;
  toFloatImage(m.pixels.data(), m.channels, m.rows, m.cols, image);
  DrawKey key{0, 0, 0, TransformList::Test};
  runTransforms(c.transforms.test, key, image, scratch);
  if (image.height != c.height || image.width != c.width) {
    error = m.file + ": the spec's test transforms turn this " +
            std::to_string(m.cols) + "x" + std::to_string(m.rows) +
            " image into " + std::to_string(image.height) + "x" +
            std::to_string(image.width) + "; the model takes " +
            std::to_string(c.height) + "x" + std::to_string(c.width);
    return false;
  }
  std::copy(image.data.begin(), image.data.end(), out);
  return true;
}

/// Classifies `images` batch by batch and prints each one's top classes.
bool classify(Executor &ex, const ModelConfig &c,
              const std::vector<Image> &images, const InferOptions &o,
              const std::vector<std::string> &names, std::string &error) {
  const int64_t pixels = c.channels * c.height * c.width;
  std::vector<float> batch(size_t(c.batchSize * pixels));
  std::vector<float> logits(size_t(c.batchSize * c.classes));
  std::map<std::pair<int64_t, int64_t>, ResizePlan> plans;
  for (size_t first = 0; first < images.size(); first += c.batchSize) {
    size_t n = std::min(images.size() - first, size_t(c.batchSize));
    std::fill(batch.begin(), batch.end(), 0.f);
    for (size_t b = 0; b < n; ++b)
      if (!prepare(images[first + b], c, plans, batch.data() + b * pixels,
                   error))
        return false;
    ex.setStepPlacement({int64_t(n), 0, 0, nullptr});
    ex.predict(batch.data(), logits.data());
    for (size_t b = 0; b < n; ++b) {
      const float *row = logits.data() + b * c.classes;
      printPrediction(images[first + b], row, c.classes,
                      topClasses(row, c.classes, o.top), names, o.json);
    }
  }
  return true;
}

int run(int argc, char **argv, const ModelDescriptor &model) {
  ModelConfig c = configFromDescriptor(model);
  InferOptions o;
  std::string error;
  if (!checkTensorRoles(c, error) || !parseOptions(argc, argv, o, error)) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  if (o.help) {
    printHelp(argv[0], c);
    return 0;
  }
#ifdef _OPENMP
  if (o.threads > 0)
    omp_set_num_threads(int(o.threads));
#endif
  std::vector<std::string> names;
  std::unique_ptr<Executor> ex = createCpuExecutor(model);
  std::vector<Image> images;
  if (!classNames(o, c, names, error) ||
      !loadWeights(o.weights, *ex, c, Statistics::Required, error))
    return std::fprintf(stderr, "error: %s\n", error.c_str()), 1;
  for (const std::string &path : o.inputs)
    if (!readImages(path, c.channels, images, error))
      return std::fprintf(stderr, "error: %s\n", error.c_str()), 1;
  if (!classify(*ex, c, images, o, names, error))
    return std::fprintf(stderr, "error: %s\n", error.c_str()), 1;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const ModelDescriptor *model = alexc_model();
  if (model->abiVersion != kModelAbiVersion) {
    std::fprintf(stderr, "error: model ABI %d, runtime ABI %d\n",
                 model->abiVersion, kModelAbiVersion);
    return 1;
  }
  if (!findFunction(*model, "predict")) {
    std::fprintf(stderr, "error: this executable was not built for "
                         "inference (alexc --mode=inference)\n");
    return 1;
  }
  try {
    return run(argc, argv, *model);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  }
  return 1;
}
