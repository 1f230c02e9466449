//===- TuningCache.cpp - Measured choices kept between runs ---------------===//
#include "runtime/gpu/TuningCache.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace alexc::rt {

namespace {
constexpr const char *kHeader = "# alexc tuning cache, v1: key<TAB>value";

std::string oneLine(std::string s) {
  for (char &c : s)
    if (c == '\t' || c == '\n' || c == '\r')
      c = ' ';
  return s;
}
} // namespace

TuningCache::TuningCache(std::string file) : path(std::move(file)) {
  if (enabled())
    entries = read(true);
}

std::map<std::string, std::string> TuningCache::read(bool warn) {
  std::map<std::string, std::string> out;
  errno = 0;
  std::ifstream in(path);
  if (!in) {
    if (warn && errno && errno != ENOENT)
      problems.push_back("cannot read tuning cache " + path + ": " +
                         std::strerror(errno) + "; measuring again");
    return out;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) {
      if (warn)
        problems.push_back(path + ":" + std::to_string(number) +
                           ": not a 'key<TAB>value' line; ignored");
      continue;
    }
    out[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

const std::string *TuningCache::find(const std::string &key) const {
  auto it = entries.find(oneLine(key));
  return it == entries.end() ? nullptr : &it->second;
}

void TuningCache::put(const std::string &key, const std::string &value) {
  if (!enabled())
    return;
  entries[oneLine(key)] = oneLine(value);
  added[oneLine(key)] = oneLine(value);
}

void TuningCache::save() {
  if (!enabled() || added.empty())
    return;
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path())
    std::filesystem::create_directories(p.parent_path(), ec);
  std::map<std::string, std::string> merged = read(false);
  for (auto &[k, v] : added)
    merged[k] = v;
  std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << kHeader << "\n";
    for (auto &[k, v] : merged)
      out << k << '\t' << v << '\n';
    out.flush();
    if (!out) {
      problems.push_back("cannot write tuning cache " + path + ": " +
                         std::strerror(errno) + "; the choices are kept " +
                         "for this run only");
      std::remove(temp.c_str());
      return;
    }
  }
  if (std::rename(temp.c_str(), path.c_str())) {
    problems.push_back("cannot write tuning cache " + path + ": " +
                       std::strerror(errno) + "; the choices are kept " +
                       "for this run only");
    std::remove(temp.c_str());
    return;
  }
  added.clear();
}

std::string TuningCache::defaultPath() {
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/alexc/tuning.txt";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/alexc/tuning.txt";
  return "";
}

} // namespace alexc::rt
