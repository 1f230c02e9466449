// The depth guard every reader of outside JSON runs before parsing.
#include "runtime/train/JsonDepth.h"

#include <gtest/gtest.h>
#include <string>

using namespace alexc::rt;

namespace {

TEST(JsonDepth, FindsTheFirstBracketPastTheLimit) {
  std::string ok(kMaxJsonDepth, '['), deep(kMaxJsonDepth + 1, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(findJsonTooDeep(ok), std::string::npos);
  EXPECT_EQ(findJsonTooDeep(deep + std::string(kMaxJsonDepth + 1, ']')),
            size_t(kMaxJsonDepth));
  // Brackets inside strings, escaped quotes included, do not count.
  std::string quoted = "{\"a\": \"\\\"" + std::string(200, '[') + "\"}";
  EXPECT_EQ(findJsonTooDeep(quoted), std::string::npos);
  // Siblings do not add up.
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i)
    wide += "[[]],";
  EXPECT_EQ(findJsonTooDeep(wide + "[]]"), std::string::npos);
}

} // namespace
