// db/pg/pipeline.h against a real PostgreSQL: many statements share one
// connection, one caller's cancel or deadline never fails another's, a lost
// connection is replaced, and prepared statements survive being dropped.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "db/pg/error.h"
#include "db/pg/pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr::db::pg {
namespace {

// The outcome of one statement, waited for.
class Outcome {
 public:
  PipelineDone Callback() {
    return [this](absl::StatusOr<Result> r) {
      absl::MutexLock lock(&mu_);
      result_ = std::move(r);
      at_ = absl::Now();
      done_ = true;
    };
  }
  // Waits up to `timeout`; false if no answer came.
  bool Wait(absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
  }
  absl::StatusOr<Result>& result() {
    absl::MutexLock lock(&mu_);
    return result_;
  }
  absl::Time at() {
    absl::MutexLock lock(&mu_);
    return at_;
  }
  // The first column of the single row, as text.
  std::string Text() {
    absl::MutexLock lock(&mu_);
    if (!result_.ok()) return result_.status().ToString();
    auto row = result_->SingleRow();
    return row.ok() ? std::string(row->Text(0)) : row.status().ToString();
  }

 private:
  absl::Mutex mu_;
  absl::StatusOr<Result> result_ = absl::UnknownError("no answer");
  absl::Time at_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

class PipelineTest : public ::testing::TestWithParam<StatementCache> {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(/*migrated=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  std::unique_ptr<Pipeline> Start(int connections) {
    PipelineOptions options;
    options.conninfo = db_->url();
    options.connections = connections;
    options.statement_cache = GetParam();
    auto p = Pipeline::Start(options);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }
  static CallOptions Within(absl::Duration d) {
    CallOptions options;
    options.deadline = absl::Now() + d;
    return options;
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_P(PipelineTest, SixtyFourStatementsShareOneConnection) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  std::vector<Outcome> outcomes(64);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 64; ++i) {
    pipeline->Run({"sleep_and_echo",
                   "SELECT pg_backend_pid()::text || ':' || $1 FROM "
                   "pg_sleep(0.01)",
                   {std::to_string(i)}},
                  Within(absl::Seconds(20)), outcomes[i].Callback());
  }
  std::string pid;
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(outcomes[i].Wait());
    const std::string text = outcomes[i].Text();
    ASSERT_THAT(text, ::testing::EndsWith(absl::StrCat(":", i)));
    const std::string this_pid = text.substr(0, text.find(':'));
    if (pid.empty()) pid = this_pid;
    EXPECT_EQ(this_pid, pid) << "all on one backend";
  }
  // In line on one backend: at least 64 x 10 ms.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(640));
  EXPECT_EQ(pipeline->GetStats().connections, 1);
}

TEST_P(PipelineTest, CancellingOneOfSixtyFourLeavesTheOthersOk) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  std::vector<Outcome> outcomes(64);
  std::atomic<bool> give_up{false};
  for (int i = 0; i < 64; ++i) {
    CallOptions options = Within(absl::Seconds(30));
    // The 8th sleeps long; its caller gives up while it runs.
    if (i == 7) options.cancelled = [&give_up] { return give_up.load(); };
    pipeline->Run({"sleep_and_echo2",
                   "SELECT $1::text FROM pg_sleep($2::float8)",
                   {std::to_string(i), i == 7 ? "10" : "0.005"}},
                  options, outcomes[i].Callback());
  }
  ASSERT_TRUE(outcomes[6].Wait());
  absl::SleepFor(absl::Milliseconds(100));  // Statement 7 is running now.
  give_up = true;
  const absl::Time cancelled_at = absl::Now();
  ASSERT_TRUE(outcomes[7].Wait());
  EXPECT_EQ(outcomes[7].result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_LE(outcomes[7].at() - cancelled_at, absl::Milliseconds(100));
  for (int i = 0; i < 64; ++i) {
    if (i == 7) continue;
    ASSERT_TRUE(outcomes[i].Wait());
    EXPECT_EQ(outcomes[i].Text(), std::to_string(i)) << "statement " << i;
  }
  // Its statement stopped on the server: the rest did not wait 10 s.
  EXPECT_LE(outcomes[63].at() - cancelled_at, absl::Seconds(3));
}

TEST_P(PipelineTest, ADeadlineEndsItsStatementOnlyOnTheServer) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  Outcome slow, after;
  const absl::Time start = absl::Now();
  pipeline->Run({"sleep5", "SELECT pg_sleep(5)::text", {}},
                Within(absl::Milliseconds(300)), slow.Callback());
  pipeline->Run({"one", "SELECT '1'", {}}, Within(absl::Seconds(10)),
                after.Callback());
  ASSERT_TRUE(slow.Wait());
  EXPECT_EQ(slow.result().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LE(slow.at() - start, absl::Seconds(1));
  ASSERT_TRUE(after.Wait());
  EXPECT_EQ(after.Text(), "1");
}

TEST_P(PipelineTest, AnErrorInOneStatementDoesNotAbortTheNext) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  Outcome bad, good;
  pipeline->Run({"divide", "SELECT (1 / $1::int)::text", {"0"}},
                Within(absl::Seconds(10)), bad.Callback());
  pipeline->Run({"divide", "SELECT (1 / $1::int)::text", {"1"}},
                Within(absl::Seconds(10)), good.Callback());
  ASSERT_TRUE(bad.Wait());
  ASSERT_TRUE(good.Wait());
  EXPECT_EQ(SqlStateOf(bad.result().status()), "22012");
  EXPECT_EQ(good.Text(), "1");
}

TEST_P(PipelineTest, ATerminatedBackendIsReplaced) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  Outcome pid;
  pipeline->Run({"pid", "SELECT pg_backend_pid()::text", {}},
                Within(absl::Seconds(10)), pid.Callback());
  ASSERT_TRUE(pid.Wait());
  db_->Exec(absl::StrCat("SELECT pg_terminate_backend(", pid.Text(), ")"));
  // Answered (UNAVAILABLE at worst) and, within seconds, served again by a
  // new backend.
  std::string now;
  for (int i = 0; i < 100 && (now.empty() || now == pid.Text()); ++i) {
    Outcome again;
    pipeline->Run({"pid", "SELECT pg_backend_pid()::text", {}},
                  Within(absl::Seconds(10)), again.Callback());
    ASSERT_TRUE(again.Wait());
    if (again.result().ok()) {
      now = again.Text();
    } else {
      EXPECT_EQ(again.result().status().code(), absl::StatusCode::kUnavailable)
          << again.result().status();
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  EXPECT_FALSE(now.empty());
  EXPECT_NE(now, pid.Text());
}

TEST_P(PipelineTest, ALostPreparedStatementIsNeverPreparedAgainUnchecked) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  Outcome first;
  pipeline->Run({"count_it", "SELECT count(*)::text FROM pg_class", {}},
                Within(absl::Seconds(10)), first.Callback());
  ASSERT_TRUE(first.Wait());
  ASSERT_TRUE(first.result().ok()) << first.result().status();
  if (GetParam() == StatementCache::kNone) return;  // Nothing to lose.
  // Another user of the session drops every prepared statement. Preparing
  // it again on the pipeline would skip the check of its result against
  // what its caller expects (the schema may have changed): from now on it
  // is answered as lost, every time, and its callers run it their checked
  // way. Other statements go on.
  Outcome drop;
  pipeline->Run({"drop_all", "DEALLOCATE ALL", {}}, Within(absl::Seconds(10)),
                drop.Callback());
  ASSERT_TRUE(drop.Wait());
  for (int i = 0; i < 2; ++i) {
    Outcome lost;
    pipeline->Run({"count_it", "SELECT count(*)::text FROM pg_class", {}},
                  Within(absl::Seconds(10)), lost.Callback());
    ASSERT_TRUE(lost.Wait());
    ASSERT_FALSE(lost.result().ok());
    EXPECT_EQ(lost.result().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(IsStatementStateError(lost.result().status()) ||
                TaggedReasonOf(lost.result().status()) ==
                    "STATEMENT_STATE_LOST")
        << lost.result().status();
  }
  Outcome other;
  pipeline->Run({"one", "SELECT '1'", {}}, Within(absl::Seconds(10)),
                other.Callback());
  ASSERT_TRUE(other.Wait());
  EXPECT_EQ(other.Text(), "1");
}

TEST_P(PipelineTest, AStatementNoConnectionTakesFailsAtItsDeadline) {
  PipelineOptions options;
  options.conninfo = db_->url();
  options.connections = 1;
  options.max_in_flight_per_connection = 1;
  options.statement_cache = GetParam();
  auto pipeline = Pipeline::Start(options);
  ASSERT_TRUE(pipeline.ok());
  Outcome slow, waiting;
  (*pipeline)->Run({"sleep1", "SELECT pg_sleep(1)::text", {}},
                   Within(absl::Seconds(10)), slow.Callback());
  (*pipeline)->Run({"one", "SELECT '1'", {}}, Within(absl::Milliseconds(200)),
                   waiting.Callback());
  ASSERT_TRUE(waiting.Wait());
  EXPECT_EQ(waiting.result().status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(slow.Wait());
  EXPECT_TRUE(slow.result().ok());
}

TEST_P(PipelineTest, TheApplicationNameIsTheCallersForItsStatementOnly) {
  auto pipeline = Start(1);
  ASSERT_NE(pipeline, nullptr);
  CallOptions options = Within(absl::Seconds(10));
  options.application_name = "defifundr-data request_id=pipe-1";
  Outcome tagged, plain;
  pipeline->Run({"app", "SELECT current_setting('application_name')", {}},
                options, tagged.Callback());
  pipeline->Run({"app", "SELECT current_setting('application_name')", {}},
                Within(absl::Seconds(10)), plain.Callback());
  ASSERT_TRUE(tagged.Wait());
  ASSERT_TRUE(plain.Wait());
  EXPECT_EQ(tagged.Text(), "defifundr-data request_id=pipe-1");
  EXPECT_EQ(plain.Text(), "defifundr-data");
}

INSTANTIATE_TEST_SUITE_P(StatementCaches, PipelineTest,
                         ::testing::Values(StatementCache::kPrepared,
                                           StatementCache::kNone),
                         [](const auto& info) {
                           return info.param == StatementCache::kPrepared
                                      ? "Prepared"
                                      : "None";
                         });

}  // namespace
}  // namespace defifundr::db::pg
