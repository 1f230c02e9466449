// The tuning cache of the GPU back end (its host side: no GPU needed):
// choices survive a round trip through the file, later runs add to the
// file instead of replacing it, and every problem with the file is a
// warning naming it, never an error.
#include "runtime/gpu/TuningCache.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

using namespace alexc::rt;

namespace {

std::string tempDir(const char *name) {
  std::string dir =
      std::string(::testing::TempDir()) + name + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

std::string contents(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TuningCache, KeepsChoicesBetweenRunsInANewFolder) {
  std::string dir = tempDir("tuning-a"), file = dir + "/sub/tuning.txt";
  {
    TuningCache first(file);
    EXPECT_TRUE(first.warnings().empty());
    EXPECT_EQ(first.find("variant H100 conv1_forward"), nullptr);
    first.put("variant H100 conv1_forward", "cudnn");
    first.put("cudnn-algorithm H100 0 128 1 224", "6");
    EXPECT_EQ(*first.find("variant H100 conv1_forward"), "cudnn");
    first.save();
    EXPECT_TRUE(first.warnings().empty());
  }
  TuningCache second(file);
  EXPECT_TRUE(second.warnings().empty());
  ASSERT_NE(second.find("variant H100 conv1_forward"), nullptr);
  EXPECT_EQ(*second.find("variant H100 conv1_forward"), "cudnn");
  EXPECT_EQ(*second.find("cudnn-algorithm H100 0 128 1 224"), "6");
  std::filesystem::remove_all(dir);
}

TEST(TuningCache, TwoRunsAddUpInsteadOfReplacingEachOther) {
  std::string dir = tempDir("tuning-b"), file = dir + "/tuning.txt";
  TuningCache a(file), b(file); // both started before either saved
  a.put("k1", "generated");
  b.put("k2", "cublas");
  b.put("k1", "cudnn"); // the later save wins for the same key
  a.save();
  b.save();
  TuningCache c(file);
  EXPECT_EQ(*c.find("k1"), "cudnn");
  EXPECT_EQ(*c.find("k2"), "cublas");
  std::filesystem::remove_all(dir);
}

TEST(TuningCache, TabsAndNewlinesCannotBreakTheFormat) {
  std::string dir = tempDir("tuning-c"), file = dir + "/tuning.txt";
  TuningCache a(file);
  a.put("GPU\tname\nwith breaks", "value\twith tab");
  a.save();
  TuningCache b(file);
  ASSERT_NE(b.find("GPU\tname\nwith breaks"), nullptr);
  EXPECT_EQ(*b.find("GPU name with breaks"), "value with tab");
  std::filesystem::remove_all(dir);
}

TEST(TuningCache, BadLinesAreWarnedAboutByLineAndSkipped) {
  std::string dir = tempDir("tuning-d"), file = dir + "/tuning.txt";
  std::filesystem::create_directories(dir);
  std::ofstream(file) << "# comment\nk1\tv1\nno tab here\n\tno key\nk2\tv2\n";
  TuningCache c(file);
  ASSERT_EQ(c.warnings().size(), 2u);
  EXPECT_NE(c.warnings()[0].find(file + ":3:"), std::string::npos)
      << c.warnings()[0];
  EXPECT_NE(c.warnings()[1].find(file + ":4:"), std::string::npos);
  EXPECT_EQ(*c.find("k1"), "v1");
  EXPECT_EQ(*c.find("k2"), "v2");
  // Saving keeps the good entries and drops the bad lines.
  c.put("k3", "v3");
  c.save();
  EXPECT_EQ(contents(file).find("no tab here"), std::string::npos);
  TuningCache again(file);
  EXPECT_TRUE(again.warnings().empty());
  EXPECT_EQ(*again.find("k1"), "v1");
  EXPECT_EQ(*again.find("k3"), "v3");
  std::filesystem::remove_all(dir);
}

TEST(TuningCache, AnUnwritablePlaceIsAWarningNotAnError) {
  std::string dir = tempDir("tuning-e");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/file") << "x";
  // A path below a regular file can be neither read nor written.
  TuningCache c(dir + "/file/tuning.txt");
  EXPECT_TRUE(c.enabled());
  c.put("k", "v");
  EXPECT_EQ(*c.find("k"), "v"); // still kept for this run
  c.save();
  ASSERT_FALSE(c.warnings().empty());
  EXPECT_NE(c.warnings().back().find(dir + "/file/tuning.txt"),
            std::string::npos)
      << c.warnings().back();
  std::filesystem::remove_all(dir);
}

TEST(TuningCache, OffKeepsNothing) {
  TuningCache c("");
  EXPECT_FALSE(c.enabled());
  c.put("k", "v");
  EXPECT_EQ(c.find("k"), nullptr);
  c.save();
  EXPECT_TRUE(c.warnings().empty());
}

TEST(TuningCache, DefaultPathFollowsXdgThenHome) {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  std::string savedXdg = xdg ? xdg : "";
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(TuningCache::defaultPath(), "/x/cache/alexc/tuning.txt");
  ::unsetenv("XDG_CACHE_HOME");
  const char *home = std::getenv("HOME");
  if (home && *home) {
    EXPECT_EQ(TuningCache::defaultPath(),
              std::string(home) + "/.cache/alexc/tuning.txt");
  }
  if (xdg)
    ::setenv("XDG_CACHE_HOME", savedXdg.c_str(), 1);
}

} // namespace
