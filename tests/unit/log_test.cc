// Unit tests of server/log/log.h: typed JSON values, text lines, levels, and the
// per-thread context fields.
#include "server/log/log.h"

#include <cstdio>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/interceptors.h"

namespace defifundr::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    SetOutput(file_);
  }
  void TearDown() override {
    SetOutput(nullptr);
    SetFormat(Format::kText);
    SetMinSeverity(Severity::kInfo);
    ClearThreadContext();
    std::fclose(file_);
  }
  std::string Output() {
    Flush();
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) {
      out.append(buffer, n);
    }
    return out;
  }
  std::FILE* file_ = nullptr;
};

TEST_F(LogTest, JsonValuesAreTyped) {
  SetFormat(Format::kJson);
  Info("rpc", {{"ms", 4.715},
               {"rows", 12},
               {"retry", true},
               {"code", "OK"},
               {"quote", std::string("a\"b\n")}});
  const std::string out = Output();
  EXPECT_THAT(out, HasSubstr("\"ms\":4.715,"));
  EXPECT_THAT(out, HasSubstr("\"rows\":12,"));
  EXPECT_THAT(out, HasSubstr("\"retry\":true,"));
  EXPECT_THAT(out, HasSubstr("\"code\":\"OK\""));
  EXPECT_THAT(out, HasSubstr("\"quote\":\"a\\\"b\\n\""));
  EXPECT_THAT(out, HasSubstr("\"level\":\"INFO\",\"msg\":\"rpc\""));
}

TEST_F(LogTest, TextQuotesOnlyStringsThatNeedIt) {
  Info("rpc",
       {{"ms", 1.5}, {"ok", false}, {"error", "not found"}, {"id", "x"}});
  const std::string out = Output();
  EXPECT_THAT(
      out, HasSubstr(" INFO rpc ms=1.5 ok=false error=\"not found\" id=x\n"));
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  SetMinSeverity(Severity::kWarning);
  Info("quiet");
  Debug("quieter");
  Warning("loud");
  Error("louder");
  const std::string out = Output();
  EXPECT_THAT(out, Not(HasSubstr("quiet")));
  EXPECT_THAT(out, HasSubstr("WARNING loud"));
  EXPECT_THAT(out, HasSubstr("ERROR louder"));
}

TEST_F(LogTest, ParseSeverityTakesTheLogLevelNames) {
  Severity s;
  ASSERT_TRUE(ParseSeverity("debug", &s));
  EXPECT_EQ(s, Severity::kDebug);
  ASSERT_TRUE(ParseSeverity("warn", &s));
  EXPECT_EQ(s, Severity::kWarning);
  ASSERT_TRUE(ParseSeverity("warning", &s));
  EXPECT_EQ(s, Severity::kWarning);
  ASSERT_TRUE(ParseSeverity("error", &s));
  EXPECT_EQ(s, Severity::kError);
  EXPECT_FALSE(ParseSeverity("INFO", &s));
  EXPECT_FALSE(ParseSeverity("", &s));
}

TEST_F(LogTest, ContextFieldsGoOnEveryLineOfTheirThreadOnly) {
  SetFormat(Format::kJson);
  {
    ScopedContext context({{"request_id", "r-1"}});
    Info("inside");
    std::thread([] { Info("other thread"); }).join();
  }
  Info("after");
  const std::string out = Output();
  EXPECT_THAT(out, HasSubstr("\"msg\":\"inside\",\"request_id\":\"r-1\"}"));
  EXPECT_THAT(out, HasSubstr("\"msg\":\"other thread\"}"));
  EXPECT_THAT(out, HasSubstr("\"msg\":\"after\"}"));
}

TEST(TraceparentTest, ParsesW3cTraceContext) {
  std::string trace, span;
  ASSERT_TRUE(server::ParseTraceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &trace,
      &span));
  EXPECT_EQ(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span, "00f067aa0ba902b7");
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
       }) {
    EXPECT_FALSE(server::ParseTraceparent(bad, &trace, &span)) << bad;
  }
}

}  // namespace
}  // namespace defifundr::log
